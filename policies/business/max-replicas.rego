package confgate.business

# Parameter max_replicas: workloads must not run more replicas than the environment allows,
# e.g. a production-sized replica count copied into dev. When an autoscaler scales the
# workload, its maximum decides, and the finding still points at the workload's replica count.
deny contains f if {
	limit := data.confgate.business.lib.number_param("max_replicas")
	input.kind in data.confgate.business.lib.replica_kinds
	not data.confgate.business.lib.autoscaled
	have := data.confgate.business.lib.replicas
	have > limit
	f := {
		"id": "max-replicas",
		"msg": sprintf("%s %q runs %v replicas; %s allows at most %v", [input.kind, data.confgate.lib.k8s.name, have, data.confgate.business.lib.environment_label, limit]),
		"path": data.confgate.business.lib.replicas_path,
	}
}

deny contains f if {
	limit := data.confgate.business.lib.number_param("max_replicas")
	input.kind in data.confgate.business.lib.replica_kinds
	data.confgate.business.lib.autoscaled
	have := data.confgate.business.lib.autoscaler_max
	have > limit
	f := {
		"id": "max-replicas",
		"msg": sprintf("%s %q can be scaled up to %v replicas by %s; %s allows at most %v", [input.kind, data.confgate.lib.k8s.name, have, data.confgate.business.lib.autoscaler_label, data.confgate.business.lib.environment_label, limit]),
		"path": data.confgate.business.lib.replicas_path,
	}
}
