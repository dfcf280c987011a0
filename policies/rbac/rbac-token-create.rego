package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.token_create(x.rule, res)
	f := {
		"id": "CG2013",
		"msg": sprintf("%s %q can mint tokens for every service account in its scope (%s), and so act with their permissions", [input.kind, k8s.name, res]),
		"path": array.concat(x.path, ["resources", j]),
	}
}
