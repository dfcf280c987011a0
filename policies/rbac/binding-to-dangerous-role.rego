package confgate.rules.rbac

# Follows roleRef to the Role or ClusterRole in the inventory and judges its effective rules
# (aggregated ClusterRoles resolved) in the scope the binding grants them: a RoleBinding
# grants in one namespace, so cluster-scoped resources of the role count for nothing there.
deny contains f if {
	input.kind in data.confgate.lib.rbac.binding_kinds
	ref_kind := input.roleRef.kind
	ref_name := input.roleRef.name
	is_string(ref_name)
	holders := [data.confgate.lib.rbac.subject_text(s.subject) | some s in data.confgate.lib.rbac.subjects]
	count(holders) > 0
	problems := binding_to_dangerous_role_problems(ref_kind, ref_name)
	count(problems) > 0
	f := {
		"id": "CG2015",
		"msg": sprintf("%s %q gives %s the %s %q, whose %s", [input.kind, data.confgate.lib.k8s.name, concat(", ", holders), ref_kind, ref_name, concat("; ", sort(problems))]),
		"path": ["roleRef", "name"],
	}
}

binding_to_dangerous_role_problems(ref_kind, ref_name) := {sprintf("%s %s", [where, t]) |
	some role in binding_to_dangerous_role_found(ref_kind, ref_name)
	some entry in binding_to_dangerous_role_rules(role)
	some t in data.confgate.lib.rbac.danger_texts(entry.rule, binding_to_dangerous_role_scope)
	where := entry.where
}

# The rules of the role with where they come from: rules[i] of the role itself, or the
# rules of a ClusterRole an aggregated role picks.
binding_to_dangerous_role_rules(role) := [{"rule": r, "where": sprintf("rules[%d]", [i])} |
	not data.confgate.lib.rbac.genuine_builtin_role(role)
	some i, r in data.confgate.lib.k8s.list(role.rules)
	is_object(r)
] if {
	count(data.confgate.lib.k8s.list(role.rules)) > 0
} else := [{"rule": r, "where": "aggregated rule"} | some r in data.confgate.lib.rbac.role_rules(role)]

binding_to_dangerous_role_scope := "cluster" if {
	input.kind == "ClusterRoleBinding"
} else := "namespace"

binding_to_dangerous_role_found(ref_kind, ref_name) := {role |
	some versions in binding_to_dangerous_role_inventory(ref_kind)
	role := versions[ref_kind][ref_name]
	is_object(role)
}

binding_to_dangerous_role_inventory(ref_kind) := data.inventory.cluster if ref_kind == "ClusterRole"

binding_to_dangerous_role_inventory(ref_kind) := data.inventory.namespace[data.confgate.lib.k8s.namespace] if {
	ref_kind == "Role"
	input.kind == "RoleBinding"
}
