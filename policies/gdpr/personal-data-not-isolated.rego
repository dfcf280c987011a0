package confgate.rules.gdpr

# Cluster-wide policy kinds of other network plugins, assumed to isolate.
isolation_cluster_kinds := {"CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}

deny contains f if {
	count(data.confgate.lib.k8s.pods) > 0
	data.confgate.lib.gdpr.input_personal_data
	not isolation_present(data.confgate.lib.governance.pod_labels(input))
	f := {
		"id": "CG8007",
		"msg": sprintf("%s %q processes personal data but no NetworkPolicy in namespace %q selects its pods; every pod in the cluster can connect to it", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.namespace]),
		"path": array.concat(data.confgate.lib.k8s.pod_metadata_path, ["labels"]),
	}
}

# A Kubernetes NetworkPolicy that covers ingress selects the pods.
isolation_present(labels) if {
	some np in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "NetworkPolicy")
	np.apiVersion == "networking.k8s.io/v1"
	isolation_covers_ingress(np.spec)
	data.confgate.lib.governance.selector_matches(np.spec.podSelector, labels)
}

# Policies of other network plugins (Calico, Cilium) in the namespace or cluster-wide are
# assumed to isolate: their selectors are not evaluated.
isolation_present(labels) if {
	some np in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "NetworkPolicy")
	np.apiVersion != "networking.k8s.io/v1"
}

isolation_present(labels) if {
	some cnp in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "CiliumNetworkPolicy")
	data.confgate.lib.governance.selector_matches(cnp.spec.endpointSelector, labels)
}

isolation_present(labels) if {
	some group in data.inventory.cluster
	some kind, objs in group
	kind in isolation_cluster_kinds
	count(objs) > 0
}

isolation_covers_ingress(spec) if not "policyTypes" in object.keys(data.confgate.lib.k8s.map(spec))

isolation_covers_ingress(spec) if "Ingress" in data.confgate.lib.k8s.list(spec.policyTypes)
