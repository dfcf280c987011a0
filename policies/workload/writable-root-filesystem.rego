package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	c.type != "ephemeralContainers"
	not k8s.windows_pod(c.pod)
	not k8s.container_sc(c).readOnlyRootFilesystem == true
	f := {
		"id": "CG1011",
		"msg": sprintf("container %q can write to its root filesystem (readOnlyRootFilesystem is not true)", [k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "readOnlyRootFilesystem"]),
	}
}
