package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.token_create(x.rule, res, rbac.scope)
	f := {
		"id": "CG2013",
		"msg": sprintf("%s %q can mint tokens for every service account in its scope (%s), and so act with their permissions%s", [input.kind, k8s.name, res, rbac.via_text(x)]),
		"path": rbac.field_path(x, "resources", j),
	}
}
