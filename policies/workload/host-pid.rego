package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	p.spec.hostPID == true
	f := {
		"id": "CG1005",
		"msg": sprintf("%s %q shares the host's process ID namespace (hostPID: true)", [input.kind, k8s.name]),
		"path": array.concat(p.path, ["hostPID"]),
	}
}
