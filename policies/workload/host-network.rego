package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	p.spec.hostNetwork == true
	f := {
		"id": "CG1007",
		"msg": sprintf("%s %q uses the host's network namespace (hostNetwork: true)", [input.kind, k8s.name]),
		"path": array.concat(p.path, ["hostNetwork"]),
	}
}
