package confgate.rules.cve

# Volume types the workload itself can write to (and so plant a symlink in).
writable_subpath_types := ["emptyDir", "hostPath", "persistentVolumeClaim", "ephemeral"]

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some i, m in data.confgate.lib.k8s.list(c.container.volumeMounts)
	some field in ["subPath", "subPathExpr"]
	sub := m[field]
	is_string(sub)
	sub != ""
	type := writable_subpath_volume_type(c.pod.spec, m.name)
	f := {
		"id": "CG6002",
		"msg": sprintf("container %q mounts a subPath of the %s volume %q; with a writable volume this is the path of the subPath symlink escapes (CVE-2021-25741, fixed in kubelet 1.19.15, 1.20.11, 1.21.5 and 1.22.2)", [data.confgate.lib.k8s.container_name(c), type, data.confgate.lib.k8s.text(m.name)]),
		"path": array.concat(c.path, ["volumeMounts", i, field]),
	}
}

# The type of the pod's volume `name` when it is writable (the first, should the name be
# used twice).
writable_subpath_volume_type(spec, name) := types[0] if {
	types := sort([type |
		some v in data.confgate.lib.k8s.list(spec.volumes)
		v.name == name
		some type in writable_subpath_types
		v[type] != null
	])
	count(types) > 0
}
