package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	c.container.securityContext.procMount == "Unmasked"
	f := {
		"id": "CG1015",
		"msg": sprintf("container %q mounts /proc unmasked (procMount: Unmasked), exposing host kernel information", [k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "procMount"]),
	}
}
