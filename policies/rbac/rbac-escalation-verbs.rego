package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

# Verbs `escalate`, `bind` and `impersonate`, and `*` which includes them, on the resources
# they act on (roles, cluster roles, users, groups, service accounts) in the role's scope.
deny contains f if {
	some x in rbac.rules
	some res in k8s.list(x.rule.resources)
	some v in rbac.escalation_grants(x.rule, res, rbac.scope)
	some j, verb in k8s.list(x.rule.verbs)
	verb == v
	f := {
		"id": "CG2003",
		"msg": sprintf("%s %q grants %s on %s, which lets its holder gain permissions it was not given%s", [input.kind, k8s.name, rbac_escalation_verb_text(v), res, rbac.via_text(x)]),
		"path": rbac.field_path(x, "verbs", j),
	}
}

rbac_escalation_verb_text(v) := "every verb (escalate, bind and impersonate included)" if {
	v == "*"
} else := sprintf("the %q verb", [v])
