package confgate.rules.network

import data.confgate.lib.k8s
import data.confgate.lib.network as net

deny contains f if {
	input.kind == "Namespace"
	ns := k8s.name
	ns != ""
	not ns in net.system_namespaces
	count(net.policies(ns)) == 0
	f := {
		"id": "CG3005",
		"msg": sprintf("Namespace %q has no NetworkPolicy: every pod in it accepts traffic from anywhere in the cluster", [ns]),
		"path": ["metadata", "name"],
	}
}
