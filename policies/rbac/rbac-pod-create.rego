package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.pod_create(x.rule, res, rbac.scope)
	f := {
		"id": "CG2008",
		"msg": sprintf("%s %q can create pods, and so run any image with any service account of its namespace%s", [input.kind, k8s.name, rbac.via_text(x)]),
		"path": rbac.field_path(x, "resources", j),
	}
}
