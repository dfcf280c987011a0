package confgate.rules.bestpractice

deny contains f if {
	input.kind in data.confgate.lib.governance.service_kinds
	data.confgate.lib.governance.production
	data.confgate.lib.governance.multi_replica
	not pdb_missing_covered(data.confgate.lib.governance.pod_labels(input))
	f := {
		"id": "CG5012",
		"msg": sprintf("%s %q runs several replicas in production but no PodDisruptionBudget selects its pods; a node drain or cluster upgrade may evict them all at once", [input.kind, data.confgate.lib.k8s.name]),
		"path": data.confgate.lib.governance.replicas_path,
	}
}

pdb_missing_covered(labels) if {
	some pdb in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "PodDisruptionBudget")
	data.confgate.lib.governance.selector_matches(pdb.spec.selector, labels)
}
