package confgate.rules.rbac

deny contains f if {
	input.kind == "ClusterRole"
	some x in data.confgate.lib.rbac.rules
	some j, res in data.confgate.lib.k8s.list(x.rule.resources)
	data.confgate.lib.rbac.pv_create(x.rule, res, data.confgate.lib.rbac.scope)
	f := {
		"id": "CG2010",
		"msg": sprintf("ClusterRole %q can create PersistentVolumes, including hostPath volumes that expose any node's filesystem%s", [data.confgate.lib.k8s.name, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "resources", j),
	}
}
