package confgate.rules.rbac

deny contains f if {
	input.kind == "ClusterRole"
	some x in data.confgate.lib.rbac.rules
	some j, res in data.confgate.lib.k8s.list(x.rule.resources)
	data.confgate.lib.rbac.nodes_proxy(x.rule, res, data.confgate.lib.rbac.scope)
	f := {
		"id": "CG2006",
		"msg": sprintf("%s %q grants access to %s, which reaches the kubelet API of every node directly%s", [input.kind, data.confgate.lib.k8s.name, res, data.confgate.lib.rbac.via_text(x)]),
		"path": data.confgate.lib.rbac.field_path(x, "resources", j),
	}
}
