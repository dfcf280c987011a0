package confgate.rules.bestpractice

deny contains f if {
	not input.kind in {"Job", "CronJob"}
	some c in data.confgate.lib.k8s.containers
	c.type == "containers"
	object.get(c.container, "livenessProbe", null) == null
	f := {
		"id": "CG5004",
		"msg": sprintf("container %q has no liveness probe; a hung process is never restarted", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["livenessProbe"]),
	}
}
