package confgate.rules.rbac

deny contains f if {
	some x in data.confgate.lib.rbac.rules
	some j, res in data.confgate.lib.k8s.list(x.rule.resources)
	data.confgate.lib.rbac.token_create(x.rule, res, data.confgate.lib.rbac.scope)
	f := {
		"id": "CG2013",
		"msg": sprintf("%s %q can mint tokens for every service account in its scope (%s), and so act with their permissions%s", [input.kind, data.confgate.lib.k8s.name, res, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "resources", j),
	}
}
