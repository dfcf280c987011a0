package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Parameter max_replicas: workloads must not run more replicas than the environment allows,
# e.g. a production-sized replica count copied into dev. When an autoscaler scales the
# workload, its maximum decides, and the finding still points at the workload's replica count.
deny contains f if {
	limit := lib.number_param("max_replicas")
	input.kind in lib.replica_kinds
	not lib.autoscaled
	have := lib.replicas
	have > limit
	f := {
		"id": "max-replicas",
		"msg": sprintf("%s %q runs %v replicas; %s allows at most %v", [input.kind, k8s.name, have, lib.environment_label, limit]),
		"path": lib.replicas_path,
	}
}

deny contains f if {
	limit := lib.number_param("max_replicas")
	input.kind in lib.replica_kinds
	lib.autoscaled
	have := lib.autoscaler_max
	have > limit
	f := {
		"id": "max-replicas",
		"msg": sprintf("%s %q can be scaled up to %v replicas by %s; %s allows at most %v", [input.kind, k8s.name, have, lib.autoscaler_label, lib.environment_label, limit]),
		"path": lib.replicas_path,
	}
}
