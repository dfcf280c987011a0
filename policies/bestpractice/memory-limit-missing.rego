package confgate.rules.bestpractice

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
	object.get(c.container, ["resources", "limits", "memory"], null) == null
	f := {
		"id": "CG5001",
		"msg": sprintf("container %q has no memory limit; one leak can exhaust the node's memory", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["resources", "limits", "memory"]),
	}
}
