package confgate.rules.api

deny contains f if {
	some p in data.confgate.lib.k8s.pods
	some i, v in data.confgate.lib.k8s.list(p.spec.volumes)
	some type, e in data.confgate.lib.apis.volume_plugins
	is_object(v[type])
	data.confgate.lib.apis.reached(e.removed)
	f := {
		"id": "CG7004",
		"msg": sprintf("%s %q mounts volume %q with the in-tree %s plugin, which Kubernetes removed in 1.%d (target %s): the pod cannot start; use %s", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.text(object.get(v, "name", "")), type, e.removed, data.confgate.lib.apis.target, e.replacement]),
		"path": array.concat(p.path, ["volumes", i, type]),
	}
}

deny contains f if {
	input.kind == "PersistentVolume"
	some type, e in data.confgate.lib.apis.volume_plugins
	is_object(input.spec[type])
	data.confgate.lib.apis.reached(e.removed)
	f := {
		"id": "CG7004",
		"msg": sprintf("PersistentVolume %q uses the in-tree %s plugin, which Kubernetes removed in 1.%d (target %s): pods cannot mount it; use %s", [data.confgate.lib.k8s.name, type, e.removed, data.confgate.lib.apis.target, e.replacement]),
		"path": ["spec", type],
	}
}
