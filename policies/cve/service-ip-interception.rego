package confgate.rules.cve

deny contains f if {
	input.kind == "Service"
	ips := input.spec.externalIPs
	is_array(ips)
	count(ips) > 0
	f := {
		"id": "CG6001",
		"msg": sprintf("Service %q sets externalIPs; whoever may create Services can claim any address this way and intercept its traffic (CVE-2020-8554, not fixed in Kubernetes: restrict the field with an admission policy)", [data.confgate.lib.k8s.name]),
		"path": ["spec", "externalIPs"],
	}
}

deny contains f if {
	input.kind == "Service"
	object.get(input, ["spec", "type"], "ClusterIP") != "LoadBalancer"
	some i, ingress in data.confgate.lib.k8s.list(input.status.loadBalancer.ingress)
	ingress.ip
	f := {
		"id": "CG6001",
		"msg": sprintf("Service %q of type %s claims load-balancer IP %v in its status; patching the status this way intercepts traffic for that address (CVE-2020-8554)", [data.confgate.lib.k8s.name, data.confgate.lib.k8s.text(object.get(input, ["spec", "type"], "ClusterIP")), ingress.ip]),
		"path": ["status", "loadBalancer", "ingress", i, "ip"],
	}
}
