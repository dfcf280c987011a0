package confgate.business

# Parameter require_requests: every container (init containers included) needs CPU and memory
# requests, so that the scheduler places pods where they fit. A limit without a request counts
# (Kubernetes uses the limit as the request), as does a LimitRange of the namespace that sets
# default requests or limits.
deny contains f if {
	data.confgate.business.lib.enabled("require_requests")
	some c in data.confgate.business.lib.resource_containers
	missing := data.confgate.business.lib.missing_resources(c, "requests")
	count(missing) > 0
	f := {
		"id": "requests-required",
		"msg": sprintf("container %q has no %s request; %s requires CPU and memory requests", [data.confgate.lib.k8s.container_name(c), concat(" and ", missing), data.confgate.business.lib.environment_label]),
		"path": data.confgate.business.lib.resource_path(c, "requests", missing),
	}
}
