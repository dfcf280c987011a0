package confgate.rules.api

import data.confgate.lib.apis
import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	some i, v in k8s.list(p.spec.volumes)
	some type, e in apis.volume_plugins
	is_object(v[type])
	apis.reached(e.removed)
	f := {
		"id": "CG7004",
		"msg": sprintf("%s %q mounts volume %q with the in-tree %s plugin, which Kubernetes removed in 1.%d (target %s): the pod cannot start; use %s", [input.kind, k8s.name, k8s.text(object.get(v, "name", "")), type, e.removed, apis.target, e.replacement]),
		"path": array.concat(p.path, ["volumes", i, type]),
	}
}

deny contains f if {
	input.kind == "PersistentVolume"
	some type, e in apis.volume_plugins
	is_object(input.spec[type])
	apis.reached(e.removed)
	f := {
		"id": "CG7004",
		"msg": sprintf("PersistentVolume %q uses the in-tree %s plugin, which Kubernetes removed in 1.%d (target %s): pods cannot mount it; use %s", [k8s.name, type, e.removed, apis.target, e.replacement]),
		"path": ["spec", type],
	}
}
