package confgate.rules.secrets

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some i, env in data.confgate.lib.k8s.list(c.container.env)
	is_object(env.valueFrom.secretKeyRef)
	f := {
		"id": "CG4005",
		"msg": sprintf("container %q reads Secret %q into environment variable %q; a mounted file leaks less easily", [data.confgate.lib.k8s.container_name(c), data.confgate.lib.k8s.text(object.get(env.valueFrom.secretKeyRef, "name", "")), data.confgate.lib.k8s.text(object.get(env, "name", ""))]),
		"path": array.concat(c.path, ["env", i, "valueFrom", "secretKeyRef"]),
	}
}

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some i, src in data.confgate.lib.k8s.list(c.container.envFrom)
	is_object(src.secretRef)
	f := {
		"id": "CG4005",
		"msg": sprintf("container %q loads every key of Secret %q into its environment; a mounted file leaks less easily", [data.confgate.lib.k8s.container_name(c), data.confgate.lib.k8s.text(object.get(src.secretRef, "name", ""))]),
		"path": array.concat(c.path, ["envFrom", i, "secretRef"]),
	}
}
