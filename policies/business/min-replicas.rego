package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Parameter min_replicas: replicated workloads must run at least that many replicas, so that
# a restart, an eviction or a node failure does not take the service down. When an autoscaler
# (HorizontalPodAutoscaler or KEDA ScaledObject in the same directory) scales the workload,
# its minimum decides, and the finding still points at the workload's replica count.
deny contains f if {
	want := lib.number_param("min_replicas")
	input.kind in lib.replica_kinds
	not lib.autoscaled
	have := lib.replicas
	have < want
	f := {
		"id": "min-replicas",
		"msg": sprintf("%s %q runs %v replica(s); %s requires at least %v", [input.kind, k8s.name, have, lib.environment_label, want]),
		"path": lib.replicas_path,
	}
}

deny contains f if {
	want := lib.number_param("min_replicas")
	input.kind in lib.replica_kinds
	lib.autoscaled
	have := lib.autoscaler_min
	have < want
	f := {
		"id": "min-replicas",
		"msg": sprintf("%s %q can be scaled down to %v replica(s) by %s; %s requires at least %v", [input.kind, k8s.name, have, lib.autoscaler_label, lib.environment_label, want]),
		"path": lib.replicas_path,
	}
}
