package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind == "ClusterRole"
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.nodes_proxy(x.rule, res, rbac.scope)
	f := {
		"id": "CG2006",
		"msg": sprintf("%s %q grants access to %s, which reaches the kubelet API of every node directly%s", [input.kind, k8s.name, res, rbac.via_text(x)]),
		"path": rbac.field_path(x, "resources", j),
	}
}
