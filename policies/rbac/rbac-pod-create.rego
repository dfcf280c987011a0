package confgate.rules.rbac

deny contains f if {
	some x in data.confgate.lib.rbac.rules
	some j, res in data.confgate.lib.k8s.list(x.rule.resources)
	data.confgate.lib.rbac.pod_create(x.rule, res, data.confgate.lib.rbac.scope)
	f := {
		"id": "CG2008",
		"msg": sprintf("%s %q can create pods, and so run any image with any service account of its namespace%s", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "resources", j),
	}
}
