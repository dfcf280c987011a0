package confgate.rules.rbac

deny contains f if {
	input.kind == "ClusterRole"
	some x in data.confgate.lib.rbac.rules
	some j, res in data.confgate.lib.k8s.list(x.rule.resources)
	data.confgate.lib.rbac.csr_approval(x.rule, res, data.confgate.lib.rbac.scope)
	f := {
		"id": "CG2011",
		"msg": sprintf("ClusterRole %q can approve certificate signing requests (%s), and so issue client certificates for any user or group%s", [data.confgate.lib.k8s.name, res, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "resources", j),
	}
}
