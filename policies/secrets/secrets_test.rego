package confgate.rules.secrets

# Unit tests for the secrets rules: each rule fires on a minimal offending object and stays
# quiet on a near miss. Run with `confgate policy test --run secrets`.

t_deploy(containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "app", "namespace": "shop"},
	"spec": {"template": {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": containers}}},
}

t_ids(id, fs) := {f | some f in fs; f.id == id}

t_paths(id, fs) := {f.path | some f in fs; f.id == id}

t_configmap(d) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}, "data": d}

t_close(a, b) if abs(a - b) < 0.001

# CG4001 credential-in-configmap

test_cg4001_fires_on_aws_key if {
	fs := deny with input as t_configmap({"aws.ini": "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"})
	t_paths("CG4001", fs) == {["data", "aws.ini"]}
}

test_cg4001_fires_on_jwt if {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZXJ2aWNlLWEiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLWV4YW1wbGUtb25seQ"
	fs := deny with input as t_configmap({"token": jwt})
	some f in t_ids("CG4001", fs)
	contains(f.msg, "JSON Web Token")
}

test_cg4001_quiet_on_certificate if {
	fs := deny with input as t_configmap({"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"})
	count(t_ids("CG4001", fs)) == 0
}

# CG4002 secret-key-in-configmap

test_cg4002_fires_on_password_key if {
	fs := deny with input as t_configmap({"DB_PASSWORD": "s3cr3t-Passw0rd"})
	t_paths("CG4002", fs) == {["data", "DB_PASSWORD"]}
}

test_cg4002_quiet_on_reference if {
	fs := deny with input as t_configmap({"DB_PASSWORD_FILE": "/run/secrets/db", "API_TOKEN": "${API_TOKEN}"})
	count(t_ids("CG4002", fs)) == 0
}

# CG4003 secret-in-env-value

test_cg4003_fires_on_literal_password if {
	fs := deny with input as t_deploy([{"name": "app", "image": "a:1", "env": [{"name": "DB_PASSWORD", "value": "hunter2-production"}]}])
	t_paths("CG4003", fs) == {["spec", "template", "spec", "containers", 0, "env", 0, "value"]}
}

test_cg4003_quiet_on_secret_ref if {
	fs := deny with input as t_deploy([{"name": "app", "image": "a:1", "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}])
	count(t_ids("CG4003", fs)) == 0
}

# CG4004 secret-string-data

test_cg4004_fires_on_string_data if {
	fs := deny with input as {"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "correct-horse-battery"}}
	t_paths("CG4004", fs) == {["stringData", "password"]}
}

test_cg4004_quiet_on_template_and_key_material if {
	fs := deny with input as {"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "${DB_PASSWORD}", "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n"}}
	count(t_ids("CG4004", fs)) == 0
	count(t_ids("CG4010", fs)) == 1
}

# CG4005 secret-via-env

test_cg4005_fires_on_secret_key_ref if {
	fs := deny with input as t_deploy([{"name": "app", "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "t", "key": "k"}}}]}])
	t_paths("CG4005", fs) == {["spec", "template", "spec", "containers", 0, "env", 0, "valueFrom", "secretKeyRef"]}
}

test_cg4005_quiet_on_mounted_secret if {
	fs := deny with input as t_deploy([{"name": "app", "volumeMounts": [{"name": "t", "mountPath": "/run/secrets/t"}]}])
	count(t_ids("CG4005", fs)) == 0
}

# CG4006 credential-in-annotation

test_cg4006_fires_on_token_annotation if {
	fs := deny with input as {"kind": "Service", "metadata": {"name": "svc", "annotations": {"ci/token": "glpat-abcdefghijklmnopqrstu"}}}
	t_paths("CG4006", fs) == {["metadata", "annotations", "ci/token"]}
}

test_cg4006_quiet_on_plain_annotation if {
	fs := deny with input as {"kind": "Service", "metadata": {"name": "svc", "annotations": {"team": "payments"}}}
	count(t_ids("CG4006", fs)) == 0
}

# CG4007 credential-in-command

test_cg4007_fires_on_flag_and_value if {
	fs := deny with input as t_deploy([{"name": "app", "args": ["--db-password", "Pr0d-b4ckup-2024"]}])
	t_paths("CG4007", fs) == {["spec", "template", "spec", "containers", 0, "args", 1]}
}

test_cg4007_fires_on_inline_flag if {
	fs := deny with input as t_deploy([{"name": "app", "command": ["/bin/agent", "--api-key=Zx81mWv3q9LkP0aa"]}])
	t_paths("CG4007", fs) == {["spec", "template", "spec", "containers", 0, "command", 1]}
}

test_cg4007_fires_on_script_assignment_and_mysql if {
	fs := deny with input as t_deploy([{"name": "app", "command": ["sh", "-c", "export ADMIN_PASSWORD=Tr1cky-Pa55 && mysql -uroot -pRootPw-2024 -e 'select 1'"]}])
	count(t_ids("CG4007", fs)) == 1
	some f in t_ids("CG4007", fs)
	contains(f.msg, "ADMIN_PASSWORD")
	contains(f.msg, "MySQL")
	not contains(f.msg, "Tr1cky")
}

test_cg4007_fires_on_credential_format if {
	fs := deny with input as t_deploy([{"name": "app", "args": ["--header", "Authorization: token ghp_EXAMPLEexample0123456789EXAMPLEexamX"]}])
	t_paths("CG4007", fs) == {["spec", "template", "spec", "containers", 0, "args", 1]}
}

test_cg4007_quiet_on_references if {
	fs := deny with input as t_deploy([{"name": "app", "args": ["--db-password", "$(DB_PASSWORD)", "--token-file", "/run/secrets/token", "--password-stdin", "--secret-name", "app-tls"], "command": ["sh", "-c", "TOKEN=\"$(cat /run/t)\" mysql -p\"$MYSQL_PWD\" run"]}])
	count(t_ids("CG4007", fs)) == 0
}

# CG4008 password-in-url

test_cg4008_fires_on_env_url if {
	fs := deny with input as t_deploy([{"name": "app", "env": [{"name": "DATABASE_URL", "value": "postgres://shop:Wint3r-is-c0ming@db:5432/shop"}]}])
	t_paths("CG4008", fs) == {["spec", "template", "spec", "containers", 0, "env", 0, "value"]}
}

test_cg4008_fires_on_query_token if {
	fs := deny with input as t_configmap({"webhook": "https://hooks.example.com/notify?channel=ops&token=9fKq2LmZx81Wv"})
	t_paths("CG4008", fs) == {["data", "webhook"]}
}

test_cg4008_fires_on_annotation if {
	fs := deny with input as {"kind": "Service", "metadata": {"name": "s", "annotations": {"backup/target": "s3://AKIDEXAMPLE:wJalrXUtnFEMIK7MDENG@backups/shop"}}}
	t_paths("CG4008", fs) == {["metadata", "annotations", "backup/target"]}
}

test_cg4008_quiet_on_placeholders if {
	fs := deny with input as t_configmap({
		"a": "postgres://user:password@localhost:5432/db",
		"b": "postgres://app:$(DB_PASSWORD)@db/app",
		"c": "mongodb://admin:${MONGO_PASSWORD}@mongo:27017",
		"d": "https://example.com/login?token=<token>",
		"e": "https://example.com/path?page=2",
		"f": "redis://:****@cache:6379",
	})
	count(t_ids("CG4008", fs)) == 0
}

# CG4009 secret-in-config-file

test_cg4009_fires_on_random_secret if {
	fs := deny with input as t_configmap({"app.yaml": "server:\n  port: 8080\nauth:\n  client_secret: \"Qm9vdHN0cmFwLVNlY3JldC0yMDI0IQ\"\n"})
	some f in t_ids("CG4009", fs)
	f.path == ["data", "app.yaml"]
	contains(f.msg, "line 4")
	not contains(f.msg, "Qm9v")
}

test_cg4009_fires_on_hex_key if {
	fs := deny with input as t_configmap({".env": "APP_ENV=prod\nSIGNING_KEY=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b\n"})
	count(t_ids("CG4009", fs)) == 1
}

test_cg4009_quiet_on_words_and_templates if {
	fs := deny with input as t_configmap({"app.ini": "[auth]\npassword = changeme\ntoken = ${TOKEN}\nsecret_name = kube-prometheus-stack\napi_key = REPLACE_ME\nsecret_key_path = /etc/app/secret.key\n"})
	count(t_ids("CG4009", fs)) == 0
}

test_entropy_values if {
	t_close(data.confgate.lib.secrets.entropy("aaaaaaaaaaaaaaaa"), 0)
	t_close(data.confgate.lib.secrets.entropy("0123456789abcdef"), 4)
	t_close(data.confgate.lib.secrets.entropy("ab"), 1)
	data.confgate.lib.secrets.entropy(42) == 0
}

# CG4010 key-material-in-secret-manifest

test_cg4010_fires_on_tls_key if {
	key := base64.encode("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n")
	fs := deny with input as {"kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "tls"}, "data": {"tls.crt": "LS0t", "tls.key": key}}
	t_paths("CG4010", fs) == {["data", "tls.key"]}
}

test_cg4010_fires_on_pem_key_in_opaque_secret if {
	key := base64.encode("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n")
	fs := deny with input as {"kind": "Secret", "metadata": {"name": "sign"}, "data": {"signing.pem": key}}
	t_paths("CG4010", fs) == {["data", "signing.pem"]}
}

test_cg4010_fires_on_registry_credentials if {
	cfg := base64.encode(`{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}`)
	fs := deny with input as {"kind": "Secret", "type": "kubernetes.io/dockerconfigjson", "metadata": {"name": "pull"}, "data": {".dockerconfigjson": cfg}}
	t_paths("CG4010", fs) == {["data", ".dockerconfigjson"]}
}

test_cg4010_fires_on_kubeconfig if {
	kc := "apiVersion: v1\nclusters:\n- cluster: {server: https://k8s.example.com}\n  name: prod\nusers:\n- name: admin\n  user:\n    token: abc.def\n"
	fs := deny with input as {"kind": "Secret", "metadata": {"name": "kc"}, "stringData": {"kubeconfig": kc}}
	t_paths("CG4010", fs) == {["stringData", "kubeconfig"]}
}

test_cg4010_quiet_on_live_object_and_empty_key if {
	key := base64.encode("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n")
	live := deny with input as {"kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "tls", "uid": "1234"}, "data": {"tls.key": key}}
	count(t_ids("CG4010", live)) == 0
	empty := deny with input as {"kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "tls"}, "data": {"tls.key": ""}}
	count(t_ids("CG4010", empty)) == 0
	odd := deny with input as {"kind": "Secret", "metadata": {"name": "x"}, "data": {"key": "not base64!", "n": 5, "config": "/w=="}}
	count(t_ids("CG4010", odd)) == 0
}

# CG4011 long-lived-service-account-token

test_cg4011_fires_on_token_secret if {
	fs := deny with input as {"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "t", "annotations": {"kubernetes.io/service-account.name": "ci"}}}
	t_paths("CG4011", fs) == {["type"]}
}

test_cg4011_quiet_on_opaque_secret if {
	fs := deny with input as {"kind": "Secret", "type": "Opaque", "metadata": {"name": "t"}}
	count(t_ids("CG4011", fs)) == 0
}

# Robustness: odd shapes never raise errors.

test_secrets_odd_shapes_are_quiet if {
	fs := deny with input as {"kind": "Deployment", "metadata": {"name": 3, "annotations": "x"}, "spec": {"template": {"spec": {"containers": [{"name": "a", "args": [1, null, {"a": 1}], "command": "sh", "env": [{"name": 1, "value": 2}, "x"]}]}}}}
	count(fs) == 0
}

# CG4009 on one-line values and literal passwords

test_cg4009_fires_on_one_line_env_value if {
	fs := deny with input as t_configmap({"db.env": "DB_PASSWORD=Tr0ub4dor3horse"})
	some f in t_ids("CG4009", fs)
	contains(f.msg, "a literal password")
	contains(f.msg, "line 1")
	not contains(f.msg, "Tr0ub4dor")
}

test_cg4009_fires_on_literal_password_in_properties_and_ini if {
	fs := deny with input as t_configmap({
		"app.properties": "spring.datasource.username=shop\nspring.datasource.password=hunter2hunter2\n",
		"app.ini": "[db]\nredisPassword: Sommer2024x\n",
	})
	t_paths("CG4009", fs) == {["data", "app.properties"], ["data", "app.ini"]}
}

test_cg4009_quiet_on_references_masks_and_empty_passwords if {
	fs := deny with input as t_configmap({
		"a": "DB_PASSWORD=${DB_PASSWORD}",
		"b": "DB_PASSWORD=",
		"c": "password=****\nadmin_pass=changeme\npassword.min-length=12\n",
		"d": "spring.security.password.encoder=bcrypt\ntoken_type = bearer\n",
		"e": "db_pass=$(DB_PASS)\nsmtp_password=env:SMTP_PASSWORD\n",
		"f": "DB_PASSWORD",
	})
	count(t_ids("CG4009", fs)) == 0
}
