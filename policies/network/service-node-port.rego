package confgate.rules.network

import data.confgate.lib.k8s

deny contains f if {
	input.kind == "Service"
	input.spec.type == "NodePort"
	f := {
		"id": "CG3002",
		"msg": sprintf("Service %q opens a port on every node (type: NodePort)", [k8s.name]),
		"path": ["spec", "type"],
	}
}
