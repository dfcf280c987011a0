package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.pod_exec(x.rule, res)
	f := {
		"id": "CG2005",
		"msg": sprintf("%s %q can run commands inside running pods (%s)", [input.kind, k8s.name, res]),
		"path": array.concat(x.path, ["resources", j]),
	}
}
