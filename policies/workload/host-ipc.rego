package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	p.spec.hostIPC == true
	f := {
		"id": "CG1006",
		"msg": sprintf("%s %q shares the host's IPC namespace (hostIPC: true)", [input.kind, k8s.name]),
		"path": array.concat(p.path, ["hostIPC"]),
	}
}
