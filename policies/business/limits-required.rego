package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Parameter require_limits: every container (init containers included) needs CPU and memory
# limits, so that one workload cannot starve its neighbours. A LimitRange of the namespace
# that sets default limits counts as setting them.
deny contains f if {
	lib.enabled("require_limits")
	some c in lib.resource_containers
	missing := lib.missing_resources(c, "limits")
	count(missing) > 0
	f := {
		"id": "limits-required",
		"msg": sprintf("container %q has no %s limit; %s requires CPU and memory limits", [k8s.container_name(c), concat(" and ", missing), lib.environment_label]),
		"path": lib.resource_path(c, "limits", missing),
	}
}
