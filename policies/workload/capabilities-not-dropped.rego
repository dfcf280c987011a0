package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	c.type != "ephemeralContainers"
	not k8s.windows_pod(c.pod)
	not capabilities_not_dropped_all(c)
	f := {
		"id": "CG1010",
		"msg": sprintf("container %q does not drop all Linux capabilities (capabilities.drop must contain ALL)", [k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "capabilities", "drop"]),
	}
}

capabilities_not_dropped_all(c) if {
	some cap in k8s.list(c.container.securityContext.capabilities.drop)
	is_string(cap)
	upper(trim_space(cap)) in {"ALL", "CAP_ALL"}
}
