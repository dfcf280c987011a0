# Shared helpers for RBAC rules: the policy rules of a Role or ClusterRole with their paths.
package confgate.lib.rbac

import data.confgate.lib.k8s

role_kinds := {"Role", "ClusterRole"}

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# Built-in roles managed by Kubernetes itself.
builtin_role if startswith(k8s.name, "system:")

builtin_role if k8s.name in {"cluster-admin", "admin", "edit", "view"}

# Every rule of a user-defined Role/ClusterRole: {"rule", "path"}.
rules contains {"rule": r, "path": ["rules", i]} if {
	input.kind in role_kinds
	not builtin_role
	some i, r in k8s.list(input.rules)
	is_object(r)
}

# The strings of a list field of a rule ([] when absent or malformed).
strings(r, field) := [s | some s in r[field]; is_string(s)] if {
	is_array(r[field])
} else := []

# The rule applies to the core API group ("" or "*").
core_group(r) if "" in strings(r, "apiGroups")

core_group(r) if "*" in strings(r, "apiGroups")

# The rule grants any of `verbs` (or every verb).
grants_any(r, verbs) if {
	some v in strings(r, "verbs")
	lower(v) in verbs
}

grants_any(r, _) if "*" in strings(r, "verbs")

# The rule is limited to named objects.
named_only(r) if count(strings(r, "resourceNames")) > 0

# Subjects of a binding with their index.
subjects contains {"subject": s, "index": i} if {
	input.kind in binding_kinds
	some i, s in k8s.list(input.subjects)
	is_object(s)
}
