package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	not k8s.windows_pod(c.pod)
	not k8s.container_sc(c).allowPrivilegeEscalation == false
	f := {
		"id": "CG1002",
		"msg": sprintf("container %q does not set allowPrivilegeEscalation: false; its processes can gain more privileges than their parent", [k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "allowPrivilegeEscalation"]),
	}
}
