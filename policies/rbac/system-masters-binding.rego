package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind in rbac.binding_kinds
	some s in rbac.subjects
	rbac.masters_subject(s.subject)
	not rbac.bootstrap_subject(s.subject)
	f := {
		"id": "CG2009",
		"msg": sprintf("%s %q names the system:masters group, whose members bypass RBAC and cannot be revoked by removing bindings", [input.kind, k8s.name]),
		"path": ["subjects", s.index, "name"],
	}
}

# EKS maps IAM roles and users to Kubernetes groups in the aws-auth ConfigMap.
deny contains f if {
	input.kind == "ConfigMap"
	k8s.name == "aws-auth"
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
