package confgate.rules.bestpractice

import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

deny contains f if {
	input.kind in gov.service_kinds
	gov.production
	gov.multi_replica
	not pdb_missing_covered(gov.pod_labels(input))
	f := {
		"id": "CG5012",
		"msg": sprintf("%s %q runs several replicas in production but no PodDisruptionBudget selects its pods; a node drain or cluster upgrade may evict them all at once", [input.kind, k8s.name]),
		"path": gov.replicas_path,
	}
}

pdb_missing_covered(labels) if {
	some pdb in gov.namespaced(k8s.namespace, "PodDisruptionBudget")
	gov.selector_matches(pdb.spec.selector, labels)
}
