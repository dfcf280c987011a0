package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind == "ClusterRoleBinding"
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name in {"admin", "edit"}
	holders := [rbac.subject_text(s.subject) | some s in rbac.subjects; not rbac.public_subject(s.subject); not rbac.bootstrap_subject(s.subject)]
	count(holders) > 0
	f := {
		"id": "CG2017",
		"msg": sprintf("ClusterRoleBinding %q grants the %q role in every namespace, kube-system included, to %s", [k8s.name, input.roleRef.name, concat(", ", holders)]),
		"path": ["roleRef", "name"],
	}
}
