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

# A HorizontalPodAutoscaler of the scan scales this workload.
single_replica_autoscaled if {
	some group in data.inventory.namespace[data.confgate.lib.k8s.namespace]
	some hpa in group.HorizontalPodAutoscaler
	hpa.spec.scaleTargetRef.kind == input.kind
	hpa.spec.scaleTargetRef.name == data.confgate.lib.k8s.name
}

# KEDA ScaledObjects drive an HPA of their own.
single_replica_autoscaled if {
	some group in data.inventory.namespace[data.confgate.lib.k8s.namespace]
	some so in group.ScaledObject
	object.get(so.spec.scaleTargetRef, "kind", "Deployment") == input.kind
	so.spec.scaleTargetRef.name == data.confgate.lib.k8s.name
}
