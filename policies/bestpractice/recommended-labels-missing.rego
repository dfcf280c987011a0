package confgate.rules.bestpractice

deny contains f if {
	count(data.confgate.lib.k8s.pods) > 0
	not is_string(data.confgate.lib.k8s.labels(input)["app.kubernetes.io/name"])
	f := {
		"id": "CG5010",
		"msg": sprintf("%s %q has no app.kubernetes.io/name label; tools cannot tell which application it belongs to", [input.kind, data.confgate.lib.k8s.name]),
		"path": ["metadata", "labels", "app.kubernetes.io/name"],
	}
}
