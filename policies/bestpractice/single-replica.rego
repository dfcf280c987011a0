package confgate.rules.bestpractice

import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

deny contains f if {
	input.kind in gov.service_kinds
	single_replica_count == 1
	not single_replica_autoscaled
	# Production workloads are held to two replicas by CG5013.
	not gov.production
	f := {
		"id": "CG5011",
		"msg": sprintf("%s %q runs a single replica; any restart or node drain makes it unavailable", [input.kind, k8s.name]),
		"path": ["spec", "replicas"],
	}
}

single_replica_count := object.get(input, ["spec", "replicas"], 1)

# A HorizontalPodAutoscaler of the scan scales this workload.
single_replica_autoscaled if {
	some group in data.inventory.namespace[k8s.namespace]
	some hpa in group.HorizontalPodAutoscaler
	hpa.spec.scaleTargetRef.kind == input.kind
	hpa.spec.scaleTargetRef.name == k8s.name
}

# KEDA ScaledObjects drive an HPA of their own.
single_replica_autoscaled if {
	some group in data.inventory.namespace[k8s.namespace]
	some so in group.ScaledObject
	object.get(so.spec.scaleTargetRef, "kind", "Deployment") == input.kind
	so.spec.scaleTargetRef.name == k8s.name
}
