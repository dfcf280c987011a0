package confgate.rules.rbac

deny contains f if {
	some x in data.confgate.lib.rbac.rules
	some j, res in data.confgate.lib.k8s.list(x.rule.resources)
	data.confgate.lib.rbac.secrets_read(x.rule, res, data.confgate.lib.rbac.scope)
	f := {
		"id": "CG2004",
		"msg": sprintf("%s %q can read every Secret in its scope%s", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "resources", j),
	}
}
