package confgate.rules.network

deny contains f if {
	input.kind == "Namespace"
	ns := data.confgate.lib.k8s.name
	ns != ""
	not ns in data.confgate.lib.network.system_namespaces
	policies := data.confgate.lib.network.policies(ns)
	count(policies) > 0
	not namespace_without_default_deny_found(policies)
	f := {
		"id": "CG3006",
		"msg": sprintf("Namespace %q has NetworkPolicies but none denies ingress by default: pods that no policy selects accept traffic from anywhere", [ns]),
		"path": ["metadata", "name"],
	}
}

namespace_without_default_deny_found(policies) if {
	some p in policies
	data.confgate.lib.network.default_deny_ingress(p)
}
