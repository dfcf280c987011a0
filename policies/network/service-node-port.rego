package confgate.rules.network

deny contains f if {
	input.kind == "Service"
	input.spec.type == "NodePort"
	f := {
		"id": "CG3002",
		"msg": sprintf("Service %q opens a port on every node (type: NodePort)", [data.confgate.lib.k8s.name]),
		"path": ["spec", "type"],
	}
}
