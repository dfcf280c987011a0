package confgate.rules.rbac

deny contains f if {
	input.kind == "ClusterRoleBinding"
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name in {"admin", "edit"}
	holders := [data.confgate.lib.rbac.subject_text(s.subject) | some s in data.confgate.lib.rbac.subjects; not data.confgate.lib.rbac.public_subject(s.subject); not data.confgate.lib.rbac.bootstrap_subject(s.subject)]
	count(holders) > 0
	f := {
		"id": "CG2017",
		"msg": sprintf("ClusterRoleBinding %q grants the %q role in every namespace, kube-system included, to %s", [data.confgate.lib.k8s.name, input.roleRef.name, concat(", ", holders)]),
		"path": ["roleRef", "name"],
	}
}
