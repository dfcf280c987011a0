package confgate.rules.cve

# Unit tests for the CVE rules: each rule fires on a minimal offending object and stays quiet
# on a near miss. Run with `confgate policy test --run cve`.

cve_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}

cve_image(image) := cve_pod({"containers": [{"name": "c", "image": image}]})

cve_ids(id, fs) := {f | some f in fs; f.id == id}

cve_paths(id, fs) := {f.path | some f in fs; f.id == id}

# CG6001 service-ip-interception

test_cg6001_fires_on_external_ips if {
	fs := deny with input as {"kind": "Service", "metadata": {"name": "s"}, "spec": {"externalIPs": ["10.0.0.1"]}}
	cve_paths("CG6001", fs) == {["spec", "externalIPs"]}
}

test_cg6001_fires_on_status_ip_of_cluster_ip_service if {
	fs := deny with input as {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}, "status": {"loadBalancer": {"ingress": [{"ip": "8.8.8.8"}]}}}
	cve_paths("CG6001", fs) == {["status", "loadBalancer", "ingress", 0, "ip"]}
}

test_cg6001_quiet_on_load_balancer_status if {
	fs := deny with input as {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer", "externalIPs": []}, "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}}}
	count(cve_ids("CG6001", fs)) == 0
}

# CG6002 writable-subpath-mount

test_cg6002_fires_on_pvc_subpath if {
	fs := deny with input as cve_pod({
		"containers": [{"name": "c", "volumeMounts": [{"name": "data", "mountPath": "/d", "subPathExpr": "$(POD_NAME)"}]}],
		"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "x"}}],
	})
	cve_paths("CG6002", fs) == {["spec", "containers", 0, "volumeMounts", 0, "subPathExpr"]}
}

test_cg6002_quiet_on_configmap_subpath if {
	fs := deny with input as cve_pod({
		"containers": [{"name": "c", "volumeMounts": [{"name": "cfg", "mountPath": "/etc/a.conf", "subPath": "a.conf"}, {"name": "nope", "subPath": "x"}]}],
		"volumes": [{"name": "cfg", "configMap": {"name": "x"}}],
	})
	count(cve_ids("CG6002", fs)) == 0
}

# CG6003 ingress-nginx-snippets-enabled

test_cg6003_fires_on_allowed_snippets if {
	fs := deny with input as {"kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller"}, "data": {"allow-snippet-annotations": "True"}}
	cve_paths("CG6003", fs) == {["data", "allow-snippet-annotations"]}
}

test_cg6003_quiet_when_off if {
	fs := deny with input as {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"allow-snippet-annotations": "false", "other": true}}
	count(cve_ids("CG6003", fs)) == 0
}

# CG6004 proc-fd-working-dir

test_cg6004_fires_on_proc_fd if {
	fs := deny with input as cve_pod({"initContainers": [{"name": "i", "workingDir": "/proc/self/fd/7"}], "containers": [{"name": "c", "workingDir": "/proc/1/fd"}]})
	cve_paths("CG6004", fs) == {["spec", "initContainers", 0, "workingDir"], ["spec", "containers", 0, "workingDir"]}
}

test_cg6004_quiet_on_normal_dir if {
	fs := deny with input as cve_pod({"containers": [{"name": "c", "workingDir": "/proc-tools/fd"}]})
	count(cve_ids("CG6004", fs)) == 0
}

# CG6005 ingress-nginx-vulnerable-version

test_cg6005_fires_on_old_and_1_12_0 if {
	old := deny with input as cve_image("registry.k8s.io/ingress-nginx/controller:v1.9.4@sha256:5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3")
	some f in cve_ids("CG6005", old)
	contains(f.msg, "v1.11.5")
	beta := deny with input as cve_image("registry.k8s.io/ingress-nginx/controller:v1.12.0-beta.0")
	some g in cve_ids("CG6005", beta)
	contains(g.msg, "v1.12.1 or later")
	legacy := deny with input as cve_image("quay.io/kubernetes-ingress-controller/nginx-ingress-controller:0.32.0")
	count(cve_ids("CG6005", legacy)) == 1
}

test_cg6005_quiet_on_fixed_digest_only_and_other_product if {
	fixed := deny with input as cve_image("registry.k8s.io/ingress-nginx/controller:v1.11.5")
	count(cve_ids("CG6005", fixed)) == 0
	digest := deny with input as cve_image("registry.k8s.io/ingress-nginx/controller@sha256:5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3")
	count(cve_ids("CG6005", digest)) == 0
	f5 := deny with input as cve_image("nginx/nginx-ingress:1.9.0")
	count(cve_ids("CG6005", f5)) == 0
}

# CG6006 argocd-vulnerable-version

test_cg6006_fires_on_affected_lines if {
	a := deny with input as cve_image("quay.io/argoproj/argocd:v2.11.0")
	some f in cve_ids("CG6006", a)
	contains(f.msg, "upgrade to 2.11.1")
	b := deny with input as cve_image("argoproj/argocd:v2.6.15")
	some g in cve_ids("CG6006", b)
	contains(g.msg, "upgrade to 2.8.19")
}

test_cg6006_quiet_on_fixed if {
	fs := deny with input as cve_image("quay.io/argoproj/argocd:v2.9.15")
	count(cve_ids("CG6006", fs)) == 0
	newer := deny with input as cve_image("quay.io/argoproj/argocd:v3.0.6")
	count(cve_ids("CG6006", newer)) == 0
}

# CG6007 grafana-vulnerable-version

test_cg6007_fires_on_8_3_0 if {
	fs := deny with input as cve_image("docker.io/grafana/grafana-oss:8.3.0")
	count(cve_ids("CG6007", fs)) == 1
}

test_cg6007_quiet_on_fixed_and_variant if {
	fs := deny with input as cve_image("grafana/grafana:8.3.1-ubuntu")
	count(cve_ids("CG6007", fs)) == 0
	seven := deny with input as cve_image("grafana/grafana:7.5.17")
	count(cve_ids("CG6007", seven)) == 0
}

# CG6008 sysctl-value-injection

test_cg6008_fires_on_plus if {
	fs := deny with input as cve_pod({"securityContext": {"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1+kernel.core_pattern=|/x"}]}, "containers": []})
	cve_paths("CG6008", fs) == {["spec", "securityContext", "sysctls", 0, "value"]}
}

test_cg6008_quiet_on_plain_values if {
	fs := deny with input as cve_pod({"securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}, {"name": "x", "value": 1}]}, "containers": []})
	count(cve_ids("CG6008", fs)) == 0
}

# CG6009 dashboard-vulnerable-version

test_cg6009_fires_on_old_dashboard if {
	fs := deny with input as cve_image("gcr.io/google_containers/kubernetes-dashboard-arm64:v1.10.0")
	count(cve_ids("CG6009", fs)) == 1
}

test_cg6009_quiet_on_fixed if {
	fs := deny with input as cve_image("k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.1")
	count(cve_ids("CG6009", fs)) == 0
}

# CG6010 gitlab-vulnerable-version

test_cg6010_fires_on_affected if {
	fs := deny with input as cve_image("gitlab/gitlab-ee:13.10.2-ee.0")
	some f in cve_ids("CG6010", fs)
	contains(f.msg, "13.10.3")
}

test_cg6010_quiet_before_11_9 if {
	fs := deny with input as cve_image("gitlab/gitlab-ce:11.8.3-ce.0")
	count(cve_ids("CG6010", fs)) == 0
}

# CG6011 gitrepo-volume

test_cg6011_fires_on_gitrepo if {
	fs := deny with input as cve_pod({"containers": [], "volumes": [{"name": "src", "gitRepo": {"repository": "https://x/y.git"}}]})
	cve_paths("CG6011", fs) == {["spec", "volumes", 0, "gitRepo"]}
}

test_cg6011_quiet_on_empty_dir if {
	fs := deny with input as cve_pod({"containers": [], "volumes": [{"name": "src", "emptyDir": {}}]})
	count(cve_ids("CG6011", fs)) == 0
}

# Image parsing

test_image_helpers if {
	data.confgate.lib.images.repository("docker.io/library/nginx:1.27") == "nginx"
	data.confgate.lib.images.repository("registry.example.com:5000/team/app:1.0@sha256:abc") == "registry.example.com:5000/team/app"
	data.confgate.lib.images.tag("registry.example.com:5000/team/app") == ""
	data.confgate.lib.images.tag("app:v1.2.3@sha256:abc") == "v1.2.3"
	data.confgate.lib.images.version("13.9.1-ce.0") == "13.9.1"
	data.confgate.lib.images.version("v1.12.0-beta.0") == "1.12.0-beta.0"
	not data.confgate.lib.images.version("1.27")
	not data.confgate.lib.images.version("latest")
}

# Robustness: odd shapes never raise errors.

test_cve_odd_shapes_are_quiet if {
	fs := deny with input as {"kind": "Pod", "metadata": {"name": 1}, "spec": {"securityContext": {"sysctls": "x"}, "volumes": [1, {"name": 2}], "containers": [{"name": "c", "image": 3, "workingDir": 4, "volumeMounts": [{"name": "x", "subPath": 5}]}]}}
	count(fs) == 0
}
