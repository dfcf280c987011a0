package confgate.rules.secrets

deny contains f if {
	input.kind == "ConfigMap"
	some key, value in data.confgate.lib.k8s.map(input.data)
	some hit in data.confgate.lib.secrets.config_file_secrets(value)
	f := {
		"id": "CG4009",
		"msg": sprintf("ConfigMap %q value %q sets %q (line %d) to %s; ConfigMaps are not meant for secrets", [data.confgate.lib.k8s.name, key, hit.key, hit.line, secret_in_config_file_what[hit.why]]),
		"path": ["data", key],
	}
}

secret_in_config_file_what := {
	"random": "a random-looking value that is probably a real secret",
	"password": "a literal password",
}
