package confgate.rules.rbac

# Discovery roles that Kubernetes grants to everyone by default.
anonymous_access_binding_default_roles := {"system:basic-user", "system:discovery", "system:public-info-viewer"}

deny contains f if {
	input.kind in data.confgate.lib.rbac.binding_kinds
	not anonymous_access_binding_default_role
	some s in data.confgate.lib.rbac.subjects
	data.confgate.lib.rbac.public_subject(s.subject)
	f := {
		"id": "CG2016",
		"msg": sprintf("%s %q grants %s %q to %s, which includes every caller of the API server", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.text(object.get(input, ["roleRef", "kind"], "role")), data.confgate.lib.k8s.text(object.get(input, ["roleRef", "name"], "")), data.confgate.lib.rbac.subject_text(s.subject)]),
		"path": ["subjects", s.index, "name"],
	}
}

# A binding of the discovery roles themselves, unless the scan redefines such a role (a
# ClusterRole of that name that is not the bootstrap one grants whatever it says).
anonymous_access_binding_default_role if {
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name in anonymous_access_binding_default_roles
	redefined := [role |
		some n, role in data.confgate.lib.rbac.cluster_roles
		n == input.roleRef.name
		not data.confgate.lib.rbac.genuine_builtin_role(role)
	]
	count(redefined) == 0
}
