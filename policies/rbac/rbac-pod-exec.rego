package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some x in rbac.rules
	rbac.core_group(x.rule)
	rbac.grants_any(x.rule, {"create", "get"})
	some j, res in k8s.list(x.rule.resources)
	res in {"pods/exec", "pods/attach", "pods/*"}
	f := {
		"id": "CG2005",
		"msg": sprintf("%s %q can open a shell in running pods (%s)", [input.kind, k8s.name, res]),
		"path": array.concat(x.path, ["resources", j]),
	}
}
