package confgate.rules.network

deny contains f if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not data.confgate.lib.network.lb_restricted(input)
	f := {
		"id": "CG3001",
		"msg": sprintf("Service %q is exposed through an external load balancer open to every source address", [data.confgate.lib.k8s.name]),
		"path": ["spec", "type"],
	}
}
