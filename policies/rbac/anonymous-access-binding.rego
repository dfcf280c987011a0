package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

# Discovery roles that Kubernetes grants to everyone by default.
anonymous_access_binding_default_roles := {"system:basic-user", "system:discovery", "system:public-info-viewer"}

deny contains f if {
	input.kind in rbac.binding_kinds
	not anonymous_access_binding_default_role
	some s in rbac.subjects
	rbac.public_subject(s.subject)
	f := {
		"id": "CG2016",
		"msg": sprintf("%s %q grants %s %q to %s, which includes every caller of the API server", [input.kind, k8s.name, k8s.text(object.get(input, ["roleRef", "kind"], "role")), k8s.text(object.get(input, ["roleRef", "name"], "")), rbac.subject_text(s.subject)]),
		"path": ["subjects", s.index, "name"],
	}
}

# A binding of the discovery roles themselves, unless the scan redefines such a role (a
# ClusterRole of that name that is not the bootstrap one grants whatever it says).
anonymous_access_binding_default_role if {
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name in anonymous_access_binding_default_roles
	redefined := [role |
		some n, role in rbac.cluster_roles
		n == input.roleRef.name
		not rbac.genuine_builtin_role(role)
	]
	count(redefined) == 0
}
