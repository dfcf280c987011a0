package confgate.business

# Parameter require_pdb: a Deployment or StatefulSet with two replicas or more (or an
# autoscaler that may scale it to two or more) needs a PodDisruptionBudget in its namespace
# whose selector matches its pod template's labels; otherwise a node drain or a cluster
# upgrade may evict all its pods at once.
deny contains f if {
	data.confgate.business.lib.enabled("require_pdb")
	input.kind in data.confgate.lib.governance.service_kinds
	data.confgate.business.lib.multi_replica
	not data.confgate.business.lib.pdb_covers(data.confgate.lib.governance.pod_labels(input))
	f := {
		"id": "pdb-required",
		"msg": sprintf("%s %q runs several replicas but no PodDisruptionBudget in namespace %q selects its pods; %s requires one", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.namespace, data.confgate.business.lib.environment_label]),
		"path": data.confgate.business.lib.replicas_path,
	}
}
