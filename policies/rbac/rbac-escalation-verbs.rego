package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	some j, v in k8s.list(x.rule.verbs)
	is_string(v)
	lower(v) in rbac.escalation_verbs
	f := {
		"id": "CG2003",
		"msg": sprintf("%s %q grants the %q verb, which lets its holder gain permissions it was not given", [input.kind, k8s.name, v]),
		"path": array.concat(x.path, ["verbs", j]),
	}
}
