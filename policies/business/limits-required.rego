package confgate.business

# Parameter require_limits: every container (init containers included) needs CPU and memory
# limits, so that one workload cannot starve its neighbours. A LimitRange of the namespace
# that sets default limits counts as setting them.
deny contains f if {
	data.confgate.business.lib.enabled("require_limits")
	some c in data.confgate.business.lib.resource_containers
	missing := data.confgate.business.lib.missing_resources(c, "limits")
	count(missing) > 0
	f := {
		"id": "limits-required",
		"msg": sprintf("container %q has no %s limit; %s requires CPU and memory limits", [data.confgate.lib.k8s.container_name(c), concat(" and ", missing), data.confgate.business.lib.environment_label]),
		"path": data.confgate.business.lib.resource_path(c, "limits", missing),
	}
}
