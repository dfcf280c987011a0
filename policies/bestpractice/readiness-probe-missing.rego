package confgate.rules.bestpractice

deny contains f if {
	not input.kind in {"Job", "CronJob"}
	some c in data.confgate.lib.k8s.containers
	c.type == "containers"
	object.get(c.container, "readinessProbe", null) == null
	f := {
		"id": "CG5005",
		"msg": sprintf("container %q has no readiness probe; it receives traffic before it is ready", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["readinessProbe"]),
	}
}
