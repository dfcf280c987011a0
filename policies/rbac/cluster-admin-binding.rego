package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind in rbac.binding_kinds
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == "cluster-admin"
	some s in rbac.subjects
	name := s.subject.name
	is_string(name)
	not startswith(name, "system:")
	f := {
		"id": "CG2002",
		"msg": sprintf("%s %q gives cluster-admin to %s %q", [input.kind, k8s.name, k8s.text(object.get(s.subject, "kind", "subject")), name]),
		"path": ["subjects", s.index],
	}
}
