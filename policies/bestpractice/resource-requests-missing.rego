package confgate.rules.bestpractice

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
	some field in ["cpu", "memory"]
	object.get(c.container, ["resources", "requests", field], null) == null
	# Kubernetes uses the limit as the request when only the limit is set.
	object.get(c.container, ["resources", "limits", field], null) == null
	f := {
		"id": "CG5003",
		"msg": sprintf("container %q has no %s request; the scheduler cannot place it reliably", [data.confgate.lib.k8s.container_name(c), field]),
		"path": array.concat(c.path, ["resources", "requests", field]),
	}
}
