package confgate.rules.network

import data.confgate.lib.k8s

# Namespaces that Kubernetes itself manages.
namespace_without_network_policy_system := {"kube-system", "kube-public", "kube-node-lease"}

namespace_without_network_policy_kinds := {"NetworkPolicy", "CiliumNetworkPolicy"}

deny contains f if {
	input.kind == "Namespace"
	ns := k8s.name
	ns != ""
	not ns in namespace_without_network_policy_system
	not namespace_without_network_policy_has(ns)
	f := {
		"id": "CG3005",
		"msg": sprintf("Namespace %q has no NetworkPolicy: every pod in it accepts traffic from anywhere in the cluster", [ns]),
		"path": ["metadata", "name"],
	}
}

namespace_without_network_policy_has(ns) if {
	some kinds in data.inventory.namespace[ns]
	some kind, objs in kinds
	kind in namespace_without_network_policy_kinds
	count(objs) > 0
}
