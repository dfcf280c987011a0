package confgate.rules.bestpractice

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
	object.get(c.container, ["resources", "limits", "cpu"], null) == null
	f := {
		"id": "CG5002",
		"msg": sprintf("container %q has no CPU limit; it can starve its neighbours of CPU", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["resources", "limits", "cpu"]),
	}
}
