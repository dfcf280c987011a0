package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	input.kind in rbac.binding_kinds
	ref_kind := input.roleRef.kind
	ref_name := input.roleRef.name
	is_string(ref_name)
	not rbac.builtin_role_name(ref_name)
	holders := [rbac.subject_text(s.subject) | some s in rbac.subjects]
	count(holders) > 0
	problems := binding_to_dangerous_role_problems(ref_kind, ref_name)
	count(problems) > 0
	f := {
		"id": "CG2015",
		"msg": sprintf("%s %q gives %s the %s %q, whose %s", [input.kind, k8s.name, concat(", ", holders), ref_kind, ref_name, concat("; ", sort(problems))]),
		"path": ["roleRef", "name"],
	}
}

# "rules[i] <what it allows>" for every dangerous rule of the referenced role.
binding_to_dangerous_role_problems(ref_kind, ref_name) := {sprintf("rules[%d] %s", [i, t]) |
	some role in binding_to_dangerous_role_found(ref_kind, ref_name)
	some i, r in k8s.list(role.rules)
	is_object(r)
	some t in rbac.danger_texts(r, input.kind == "ClusterRoleBinding")
}

# The referenced role as found in the inventory (any apiVersion). One comprehension over the
# scope: regorus's VM loses the second operand of a union of iterating comprehensions.
binding_to_dangerous_role_found(ref_kind, ref_name) := {role |
	some versions in binding_to_dangerous_role_scope(ref_kind)
	role := versions[ref_kind][ref_name]
	is_object(role)
}

# Where the referenced kind lives: ClusterRoles at cluster scope, Roles in the binding's
# namespace (a ClusterRoleBinding cannot reference a Role).
binding_to_dangerous_role_scope(ref_kind) := data.inventory.cluster if ref_kind == "ClusterRole"

binding_to_dangerous_role_scope(ref_kind) := data.inventory.namespace[k8s.namespace] if {
	ref_kind == "Role"
	input.kind == "RoleBinding"
}
