package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind in rbac.binding_kinds
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == "cluster-admin"
	some s in rbac.subjects
	not rbac.bootstrap_subject(s.subject)
	is_string(s.subject.name)
	not rbac.masters_subject(s.subject)
	not rbac.public_subject(s.subject)
	f := {
		"id": "CG2002",
		"msg": sprintf("%s %q gives cluster-admin to %s%s", [input.kind, k8s.name, rbac.subject_text(s.subject), cluster_admin_binding_scope]),
		"path": ["subjects", s.index],
	}
}

cluster_admin_binding_scope := " across the whole cluster" if {
	input.kind == "ClusterRoleBinding"
} else := sprintf(" in namespace %q", [k8s.namespace])
