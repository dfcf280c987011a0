package confgate.rules.rbac

# Verbs `escalate`, `bind` and `impersonate`, and `*` which includes them, on the resources
# they act on (roles, cluster roles, users, groups, service accounts) in the role's scope.
deny contains f if {
	some x in data.confgate.lib.rbac.rules
	some res in data.confgate.lib.k8s.list(x.rule.resources)
	some v in data.confgate.lib.rbac.escalation_grants(x.rule, res, data.confgate.lib.rbac.scope)
	some j, verb in data.confgate.lib.k8s.list(x.rule.verbs)
	verb == v
	f := {
		"id": "CG2003",
		"msg": sprintf("%s %q grants %s on %s, which lets its holder gain permissions it was not given%s", [input.kind, data.confgate.lib.k8s.name, rbac_escalation_verb_text(v), res, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "verbs", j),
	}
}

rbac_escalation_verb_text(v) := "every verb (escalate, bind and impersonate included)" if {
	v == "*"
} else := sprintf("the %q verb", [v])
