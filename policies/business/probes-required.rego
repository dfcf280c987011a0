package confgate.business

# Parameter require_probes: the containers of long-running workloads need a readiness probe
# (no traffic before they are ready) and a liveness probe (restarted when they hang). Jobs,
# CronJobs, pods that are not restarted and init containers run to completion and are exempt.
deny contains f if {
	data.confgate.business.lib.enabled("require_probes")
	data.confgate.business.lib.long_running
	some c in data.confgate.lib.k8s.containers
	c.type == "containers"
	missing := data.confgate.business.lib.missing_probes(c)
	count(missing) > 0
	f := {
		"id": "probes-required",
		"msg": sprintf("container %q has no %s probe; %s requires readiness and liveness probes", [data.confgate.lib.k8s.container_name(c), concat(" and ", [data.confgate.business.lib.probe_names[p] | some p in missing]), data.confgate.business.lib.environment_label]),
		"path": data.confgate.business.lib.probe_path(c, missing),
	}
}
