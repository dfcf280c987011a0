package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	some i, v in k8s.list(p.spec.volumes)
	is_object(v.hostPath)
	f := {
		"id": "CG1008",
		"msg": sprintf("volume %q mounts host path %q from the node", [k8s.text(object.get(v, "name", "")), hostpath_volume_path(v.hostPath)]),
		"path": array.concat(p.path, ["volumes", i, "hostPath"]),
	}
}

hostpath_volume_path(hp) := hp.path if {
	is_string(hp.path)
} else := ""
