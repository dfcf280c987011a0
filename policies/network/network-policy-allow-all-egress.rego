package confgate.rules.network

deny contains f if {
	input.kind == "NetworkPolicy"
	is_string(input.apiVersion)
	startswith(input.apiVersion, "networking.k8s.io/")
	data.confgate.lib.network.covers_egress(input)
	some i, rule in data.confgate.lib.k8s.list(data.confgate.lib.network.spec_field(input, "egress"))
	data.confgate.lib.network.all_ports(rule)
	some at in data.confgate.lib.network.open_peer_paths(rule, "to")
	f := {
		"id": "CG3008",
		"msg": sprintf("NetworkPolicy %q lets the pods it selects connect anywhere on every port (spec.egress[%d])", [data.confgate.lib.k8s.name, i]),
		"path": array.concat(["spec", "egress", i], at),
	}
}
