package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	not k8s.windows_pod(c.pod)
	not k8s.effective_sc(c, "runAsNonRoot") == true
	f := {
		"id": "CG1003",
		"msg": sprintf("container %q does not require a non-root user (runAsNonRoot is not true on the container or the pod)", [k8s.container_name(c)]),
		"path": k8s.sc_path(c, "runAsNonRoot"),
	}
}
