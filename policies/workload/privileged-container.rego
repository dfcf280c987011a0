package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	c.container.securityContext.privileged == true
	f := {
		"id": "CG1001",
		"msg": sprintf("container %q runs privileged; it has full access to the host", [k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "privileged"]),
	}
}
