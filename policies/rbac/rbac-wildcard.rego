package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	some field in ["verbs", "resources", "apiGroups"]
	some j, v in k8s.list(x.rule[field])
	v == "*"
	f := {
		"id": "CG2001",
		"msg": sprintf("%s %q grants a wildcard in %s; list the exact %s it needs", [input.kind, k8s.name, field, field]),
		"path": array.concat(x.path, [field, j]),
	}
}
