package confgate.rules.network

deny contains f if {
	input.kind == "Service"
	ips := input.spec.externalIPs
	is_array(ips)
	count(ips) > 0
	f := {
		"id": "CG3003",
		"msg": sprintf("Service %q claims external IPs %v; traffic for those addresses is captured cluster-wide", [data.confgate.lib.k8s.name, ips]),
		"path": ["spec", "externalIPs"],
	}
}
