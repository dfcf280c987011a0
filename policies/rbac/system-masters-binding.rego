package confgate.rules.rbac

deny contains f if {
	input.kind in data.confgate.lib.rbac.binding_kinds
	some s in data.confgate.lib.rbac.subjects
	data.confgate.lib.rbac.masters_subject(s.subject)
	not data.confgate.lib.rbac.bootstrap_subject(s.subject)
	f := {
		"id": "CG2009",
		"msg": sprintf("%s %q names the system:masters group, whose members bypass RBAC and cannot be revoked by removing bindings", [input.kind, data.confgate.lib.k8s.name]),
		"path": ["subjects", s.index, "name"],
	}
}

# EKS maps IAM roles and users to Kubernetes groups in the aws-auth ConfigMap.
deny contains f if {
	input.kind == "ConfigMap"
	data.confgate.lib.k8s.name == "aws-auth"
	some key in ["mapRoles", "mapUsers"]
	text := input.data[key]
	is_string(text)
	contains(text, "system:masters")
	f := {
		"id": "CG2009",
		"msg": sprintf("ConfigMap \"aws-auth\" puts IAM identities of %s into the system:masters group, which bypasses RBAC", [key]),
		"path": ["data", key],
	}
}
