package confgate.rules.cve

deny contains f if {
	some p in data.confgate.lib.k8s.pods
	some i, v in data.confgate.lib.k8s.list(p.spec.volumes)
	is_object(v.gitRepo)
	f := {
		"id": "CG6011",
		"msg": sprintf("%s %q uses the deprecated gitRepo volume %q; a repository with hooks runs commands on the node (CVE-2024-10220), and Kubernetes 1.33 turns the plugin off", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.text(object.get(v, "name", ""))]),
		"path": array.concat(p.path, ["volumes", i, "gitRepo"]),
	}
}
