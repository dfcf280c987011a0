package confgate.business

import data.confgate.business.lib
import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

# Parameter require_pdb: a Deployment or StatefulSet with two replicas or more (or an
# autoscaler that may scale it to two or more) needs a PodDisruptionBudget in its namespace
# whose selector matches its pod template's labels; otherwise a node drain or a cluster
# upgrade may evict all its pods at once.
deny contains f if {
	lib.enabled("require_pdb")
	input.kind in gov.service_kinds
	lib.multi_replica
	not lib.pdb_covers(gov.pod_labels(input))
	f := {
		"id": "pdb-required",
		"msg": sprintf("%s %q runs several replicas but no PodDisruptionBudget in namespace %q selects its pods; %s requires one", [input.kind, k8s.name, k8s.namespace, lib.environment_label]),
		"path": lib.replicas_path,
	}
}
