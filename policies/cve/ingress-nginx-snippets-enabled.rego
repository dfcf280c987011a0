package confgate.rules.cve

deny contains f if {
	input.kind == "ConfigMap"
	v := input.data["allow-snippet-annotations"]
	is_string(v)
	lower(trim_space(v)) == "true"
	f := {
		"id": "CG6003",
		"msg": sprintf("ConfigMap %q turns on ingress-nginx snippet annotations; anyone who may create an Ingress can then inject nginx configuration and read the controller's Secrets (CVE-2021-25742)", [data.confgate.lib.k8s.name]),
		"path": ["data", "allow-snippet-annotations"],
	}
}
