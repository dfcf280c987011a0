package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.pod_exec(x.rule, res, rbac.scope)
	f := {
		"id": "CG2005",
		"msg": sprintf("%s %q can run commands inside running pods (%s)%s", [input.kind, k8s.name, res, rbac.via_text(x)]),
		"path": rbac.field_path(x, "resources", j),
	}
}
