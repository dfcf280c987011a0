package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Parameter require_requests: every container (init containers included) needs CPU and memory
# requests, so that the scheduler places pods where they fit. A limit without a request counts
# (Kubernetes uses the limit as the request), as does a LimitRange of the namespace that sets
# default requests or limits.
deny contains f if {
	lib.enabled("require_requests")
	some c in lib.resource_containers
	missing := lib.missing_resources(c, "requests")
	count(missing) > 0
	f := {
		"id": "requests-required",
		"msg": sprintf("container %q has no %s request; %s requires CPU and memory requests", [k8s.container_name(c), concat(" and ", missing), lib.environment_label]),
		"path": lib.resource_path(c, "requests", missing),
	}
}
