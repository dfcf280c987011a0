package confgate.rules.network

import data.confgate.lib.k8s
import data.confgate.lib.network as net

deny contains f if {
	input.kind == "NetworkPolicy"
	is_string(input.apiVersion)
	startswith(input.apiVersion, "networking.k8s.io/")
	net.covers_egress(input)
	some i, rule in k8s.list(net.spec_field(input, "egress"))
	net.all_ports(rule)
	some at in net.open_peer_paths(rule, "to")
	f := {
		"id": "CG3008",
		"msg": sprintf("NetworkPolicy %q lets the pods it selects connect anywhere on every port (spec.egress[%d])", [k8s.name, i]),
		"path": array.concat(["spec", "egress", i], at),
	}
}
