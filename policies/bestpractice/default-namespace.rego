package confgate.rules.bestpractice

deny contains f if {
	input.metadata.namespace == "default"
	count(data.confgate.lib.k8s.pods) > 0
	f := {
		"id": "CG5008",
		"msg": sprintf("%s %q is placed in the default namespace; give each application its own namespace", [input.kind, data.confgate.lib.k8s.name]),
		"path": ["metadata", "namespace"],
	}
}
