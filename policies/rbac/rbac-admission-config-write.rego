package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind == "ClusterRole"
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.admission_write(x.rule, res, rbac.scope)
	f := {
		"id": "CG2012",
		"msg": sprintf("ClusterRole %q can create, change or delete %s, and so switch off or subvert admission control%s", [k8s.name, res, rbac.via_text(x)]),
		"path": rbac.field_path(x, "resources", j),
	}
}
