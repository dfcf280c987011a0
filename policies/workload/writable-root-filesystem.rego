package confgate.rules.workload

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
	not data.confgate.lib.k8s.windows_pod(c.pod)
	not data.confgate.lib.k8s.container_sc(c).readOnlyRootFilesystem == true
	f := {
		"id": "CG1011",
		"msg": sprintf("container %q can write to its root filesystem (readOnlyRootFilesystem is not true)", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "readOnlyRootFilesystem"]),
	}
}
