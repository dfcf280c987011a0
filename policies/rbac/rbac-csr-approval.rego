package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind == "ClusterRole"
	some x in rbac.rules
	some j, res in k8s.list(x.rule.resources)
	rbac.csr_approval(x.rule, res, rbac.scope)
	f := {
		"id": "CG2011",
		"msg": sprintf("ClusterRole %q can approve certificate signing requests (%s), and so issue client certificates for any user or group%s", [k8s.name, res, rbac.via_text(x)]),
		"path": rbac.field_path(x, "resources", j),
	}
}
