package confgate.rules.rbac

deny contains f if {
	some x in data.confgate.lib.rbac.rules
	some j, res in data.confgate.lib.k8s.list(x.rule.resources)
	data.confgate.lib.rbac.pod_exec(x.rule, res, data.confgate.lib.rbac.scope)
	f := {
		"id": "CG2005",
		"msg": sprintf("%s %q can run commands inside running pods (%s)%s", [input.kind, data.confgate.lib.k8s.name, res, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "resources", j),
	}
}
