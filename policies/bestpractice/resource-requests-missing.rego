package confgate.rules.bestpractice

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	c.type != "ephemeralContainers"
	some field in ["cpu", "memory"]
	object.get(c.container, ["resources", "requests", field], null) == null
	# Kubernetes uses the limit as the request when only the limit is set.
	object.get(c.container, ["resources", "limits", field], null) == null
	f := {
		"id": "CG5003",
		"msg": sprintf("container %q has no %s request; the scheduler cannot place it reliably", [k8s.container_name(c), field]),
		"path": array.concat(c.path, ["resources", "requests", field]),
	}
}
