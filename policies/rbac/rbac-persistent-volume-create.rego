package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind == "ClusterRole"
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.pv_create(x.rule, res, rbac.scope)
	f := {
		"id": "CG2010",
		"msg": sprintf("ClusterRole %q can create PersistentVolumes, including hostPath volumes that expose any node's filesystem%s", [k8s.name, rbac.via_text(x)]),
		"path": rbac.field_path(x, "resources", j),
	}
}
