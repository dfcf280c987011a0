package confgate.rules.network

import data.confgate.lib.k8s
import data.confgate.lib.network as net

deny contains f if {
	input.kind == "NetworkPolicy"
	is_string(input.apiVersion)
	startswith(input.apiVersion, "networking.k8s.io/")
	net.covers_ingress(input)
	some i, rule in k8s.list(net.spec_field(input, "ingress"))
	net.all_ports(rule)
	some at in net.open_peer_paths(rule, "from")
	f := {
		"id": "CG3007",
		"msg": sprintf("NetworkPolicy %q lets any source reach the pods it selects on every port (spec.ingress[%d])", [k8s.name, i]),
		"path": array.concat(["spec", "ingress", i], at),
	}
}
