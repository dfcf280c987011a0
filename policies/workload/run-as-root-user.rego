package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	k8s.effective_sc(c, "runAsUser") == 0
	f := {
		"id": "CG1004",
		"msg": sprintf("container %q runs as user 0 (root)", [k8s.container_name(c)]),
		"path": k8s.sc_path(c, "runAsUser"),
	}
}
