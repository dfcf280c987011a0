package confgate.rules.secrets

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	some i, env in k8s.list(c.container.env)
	is_object(env.valueFrom.secretKeyRef)
	f := {
		"id": "CG4005",
		"msg": sprintf("container %q reads Secret %q into environment variable %q; a mounted file leaks less easily", [k8s.container_name(c), k8s.text(object.get(env.valueFrom.secretKeyRef, "name", "")), k8s.text(object.get(env, "name", ""))]),
		"path": array.concat(c.path, ["env", i, "valueFrom", "secretKeyRef"]),
	}
}

deny contains f if {
	some c in k8s.containers
	some i, src in k8s.list(c.container.envFrom)
	is_object(src.secretRef)
	f := {
		"id": "CG4005",
		"msg": sprintf("container %q loads every key of Secret %q into its environment; a mounted file leaks less easily", [k8s.container_name(c), k8s.text(object.get(src.secretRef, "name", ""))]),
		"path": array.concat(c.path, ["envFrom", i, "secretRef"]),
	}
}
