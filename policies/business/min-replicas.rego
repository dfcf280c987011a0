package confgate.business

# Parameter min_replicas: replicated workloads must run at least that many replicas, so that
# a restart, an eviction or a node failure does not take the service down. When an autoscaler
# (HorizontalPodAutoscaler or KEDA ScaledObject in the same directory) scales the workload,
# its minimum decides, and the finding still points at the workload's replica count.
deny contains f if {
	want := data.confgate.business.lib.number_param("min_replicas")
	input.kind in data.confgate.business.lib.replica_kinds
	not data.confgate.business.lib.autoscaled
	have := data.confgate.business.lib.replicas
	have < want
	f := {
		"id": "min-replicas",
		"msg": sprintf("%s %q runs %v replica(s); %s requires at least %v", [input.kind, data.confgate.lib.k8s.name, have, data.confgate.business.lib.environment_label, want]),
		"path": data.confgate.business.lib.replicas_path,
	}
}

deny contains f if {
	want := data.confgate.business.lib.number_param("min_replicas")
	input.kind in data.confgate.business.lib.replica_kinds
	data.confgate.business.lib.autoscaled
	have := data.confgate.business.lib.autoscaler_min
	have < want
	f := {
		"id": "min-replicas",
		"msg": sprintf("%s %q can be scaled down to %v replica(s) by %s; %s requires at least %v", [input.kind, data.confgate.lib.k8s.name, have, data.confgate.business.lib.autoscaler_label, data.confgate.business.lib.environment_label, want]),
		"path": data.confgate.business.lib.replicas_path,
	}
}
