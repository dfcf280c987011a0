package confgate.rules.bestpractice

deny contains f if {
	input.kind in data.confgate.lib.governance.service_kinds
	single_replica_count == 1
	not single_replica_autoscaled
	# Production workloads are held to two replicas by CG5013.
	not data.confgate.lib.governance.production
	f := {
		"id": "CG5011",
		"msg": sprintf("%s %q runs a single replica; any restart or node drain makes it unavailable", [input.kind, data.confgate.lib.k8s.name]),
		"path": ["spec", "replicas"],
	}
}

single_replica_count := object.get(input, ["spec", "replicas"], 1)

# A HorizontalPodAutoscaler of the scan scales this workload, or a KEDA ScaledObject (which
# drives an HPA of its own) does.
single_replica_autoscaled if count(data.confgate.lib.governance.input_autoscalers) > 0

single_replica_autoscaled if data.confgate.lib.governance.input_keda_scaled
