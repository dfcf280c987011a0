package confgate.rules.network

deny contains f if {
	input.kind == "NetworkPolicy"
	is_string(input.apiVersion)
	startswith(input.apiVersion, "networking.k8s.io/")
	data.confgate.lib.network.covers_ingress(input)
	some i, rule in data.confgate.lib.k8s.list(data.confgate.lib.network.spec_field(input, "ingress"))
	data.confgate.lib.network.all_ports(rule)
	some at in data.confgate.lib.network.open_peer_paths(rule, "from")
	f := {
		"id": "CG3007",
		"msg": sprintf("NetworkPolicy %q lets any source reach the pods it selects on every port (spec.ingress[%d])", [data.confgate.lib.k8s.name, i]),
		"path": array.concat(["spec", "ingress", i], at),
	}
}
