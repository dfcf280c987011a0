package confgate.rules.network

import data.confgate.lib.k8s
import data.confgate.lib.network as net

deny contains f if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not net.lb_restricted(input)
	f := {
		"id": "CG3001",
		"msg": sprintf("Service %q is exposed through an external load balancer open to every source address", [k8s.name]),
		"path": ["spec", "type"],
	}
}
