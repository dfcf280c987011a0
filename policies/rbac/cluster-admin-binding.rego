package confgate.rules.rbac

deny contains f if {
	input.kind in data.confgate.lib.rbac.binding_kinds
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == "cluster-admin"
	some s in data.confgate.lib.rbac.subjects
	not data.confgate.lib.rbac.bootstrap_subject(s.subject)
	is_string(s.subject.name)
	not data.confgate.lib.rbac.masters_subject(s.subject)
	not data.confgate.lib.rbac.public_subject(s.subject)
	f := {
		"id": "CG2002",
		"msg": sprintf("%s %q gives cluster-admin to %s%s", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.rbac.subject_text(s.subject), cluster_admin_binding_scope]),
		"path": ["subjects", s.index],
	}
}

cluster_admin_binding_scope := " across the whole cluster" if {
	input.kind == "ClusterRoleBinding"
} else := sprintf(" in namespace %q", [data.confgate.lib.k8s.namespace])
