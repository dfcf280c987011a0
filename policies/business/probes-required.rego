package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Parameter require_probes: the containers of long-running workloads need a readiness probe
# (no traffic before they are ready) and a liveness probe (restarted when they hang). Jobs,
# CronJobs, pods that are not restarted and init containers run to completion and are exempt.
deny contains f if {
	lib.enabled("require_probes")
	lib.long_running
	some c in k8s.containers
	c.type == "containers"
	missing := lib.missing_probes(c)
	count(missing) > 0
	f := {
		"id": "probes-required",
		"msg": sprintf("container %q has no %s probe; %s requires readiness and liveness probes", [k8s.container_name(c), concat(" and ", [lib.probe_names[p] | some p in missing]), lib.environment_label]),
		"path": lib.probe_path(c, missing),
	}
}
