package confgate.rules.network

import data.confgate.lib.k8s
import data.confgate.lib.network as net

deny contains f if {
	input.kind == "Namespace"
	ns := k8s.name
	ns != ""
	not ns in net.system_namespaces
	policies := net.policies(ns)
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
	net.default_deny_ingress(p)
}
