# Shared helpers for RBAC rules: the policy rules of a Role or ClusterRole with their paths,
# and one predicate per dangerous permission. Each predicate takes a policy rule object and a
# resource string of it, so that a rule on a Role can point at the offending resource and the
# cross-resource binding rule can judge a role found in data.inventory with the same logic.
package confgate.lib.rbac

import data.confgate.lib.k8s

role_kinds := {"Role", "ClusterRole"}

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# Role names that Kubernetes itself defines and keeps up to date.
builtin_role_name(n) if {
	is_string(n)
	startswith(n, "system:")
}

builtin_role_name(n) if n in {"cluster-admin", "admin", "edit", "view"}

# Built-in roles managed by Kubernetes itself.
builtin_role if builtin_role_name(k8s.name)

# Bindings that the API server or kubeadm create when a cluster boots.
builtin_binding if startswith(k8s.name, "system:")

builtin_binding if startswith(k8s.name, "kubeadm:")

builtin_binding if k8s.labels(input)["kubernetes.io/bootstrapping"] == "rbac-defaults"

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

# The rule applies to API group `g` (or to every group).
in_group(r, g) if g in strings(r, "apiGroups")

in_group(r, _) if "*" in strings(r, "apiGroups")

# The rule applies to the core API group ("" or "*").
core_group(r) if in_group(r, "")

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

# "Kind name" of a subject for messages, with the namespace of service accounts.
subject_text(s) := sprintf("%s %s/%s", [k8s.text(s.kind), k8s.text(s.namespace), k8s.text(s.name)]) if {
	s.kind == "ServiceAccount"
	is_string(s.namespace)
} else := sprintf("%s %s", [k8s.text(object.get(s, "kind", "subject")), k8s.text(object.get(s, "name", ""))])

# Groups and users that stand for everyone (with or without credentials).
public_subject(s) if {
	s.kind == "Group"
	s.name in {"system:unauthenticated", "system:authenticated"}
}

public_subject(s) if {
	s.kind == "User"
	s.name == "system:anonymous"
}

# The group whose members bypass RBAC altogether.
masters_subject(s) if {
	s.kind == "Group"
	s.name == "system:masters"
}

# ---- Dangerous permissions: `res` is one resource string of policy rule `r`. ----

escalation_verbs := {"escalate", "bind", "impersonate"}

exec_resources := {"pods/exec", "pods/attach", "pods/*"}

ephemeral_resources := {"pods/ephemeralcontainers", "pods/*"}

admission_resources := {
	"validatingwebhookconfigurations",
	"mutatingwebhookconfigurations",
	"validatingadmissionpolicies",
	"validatingadmissionpolicybindings",
	"mutatingadmissionpolicies",
	"mutatingadmissionpolicybindings",
}

# Reads the contents of every Secret in scope.
secrets_read(r, res) if {
	res == "secrets"
	core_group(r)
	grants_any(r, {"get", "list", "watch"})
	not named_only(r)
}

# Runs commands in running containers (exec, attach, or an injected ephemeral container).
pod_exec(r, res) if {
	res in exec_resources
	core_group(r)
	grants_any(r, {"create", "get"})
}

pod_exec(r, res) if {
	res in ephemeral_resources
	core_group(r)
	grants_any(r, {"update", "patch"})
}

# Talks to the kubelet API of nodes through the API server.
nodes_proxy(r, res) if {
	res in {"nodes/proxy", "nodes/*"}
	core_group(r)
	count(strings(r, "verbs")) > 0
}

# Creates pods directly.
pod_create(r, res) if {
	res == "pods"
	core_group(r)
	grants_any(r, {"create"})
}

# Creates PersistentVolumes (and so hostPath volumes on any node).
pv_create(r, res) if {
	res == "persistentvolumes"
	core_group(r)
	grants_any(r, {"create"})
}

# Approves certificate signing requests.
csr_approval(r, res) if {
	res in {"certificatesigningrequests/approval", "certificatesigningrequests/*"}
	in_group(r, "certificates.k8s.io")
	grants_any(r, {"update", "patch"})
}

# Creates, changes or deletes admission webhooks and admission policies.
admission_write(r, res) if {
	res in admission_resources
	in_group(r, "admissionregistration.k8s.io")
	grants_any(r, {"create"})
}

admission_write(r, res) if {
	res in admission_resources
	in_group(r, "admissionregistration.k8s.io")
	grants_any(r, {"update", "patch", "delete", "deletecollection"})
	not named_only(r)
}

# Mints tokens for any service account in scope.
token_create(r, res) if {
	res in {"serviceaccounts/token", "serviceaccounts/*"}
	core_group(r)
	grants_any(r, {"create"})
	not named_only(r)
}

# Every verb on every resource.
full_wildcard(r) if {
	"*" in strings(r, "verbs")
	"*" in strings(r, "resources")
}

# ---- Summary of a whole policy rule, for the binding rule. ----

# What each danger lets the holder do, and whether it only matters cluster-wide
# (cluster-scoped resources are never granted through a RoleBinding).
dangers := {
	"wildcard": {"text": "grants every verb on every resource", "cluster_only": false},
	"escalation": {"text": "grants escalate, bind or impersonate", "cluster_only": false},
	"secrets": {"text": "can read every Secret", "cluster_only": false},
	"exec": {"text": "can run commands in running pods", "cluster_only": false},
	"pod-create": {"text": "can create pods", "cluster_only": false},
	"token": {"text": "can mint service account tokens", "cluster_only": false},
	"nodes-proxy": {"text": "can reach the kubelet API through nodes/proxy", "cluster_only": true},
	"pv-create": {"text": "can create PersistentVolumes", "cluster_only": true},
	"csr": {"text": "can approve certificate signing requests", "cluster_only": true},
	"admission": {"text": "can change admission webhooks or policies", "cluster_only": true},
}

has_danger(r, d) if {
	d == "wildcard"
	full_wildcard(r)
}

has_danger(r, d) if {
	d == "escalation"
	some v in strings(r, "verbs")
	lower(v) in escalation_verbs
}

has_danger(r, d) if {
	d == "secrets"
	some res in strings(r, "resources")
	secrets_read(r, res)
}

has_danger(r, d) if {
	d == "exec"
	some res in strings(r, "resources")
	pod_exec(r, res)
}

has_danger(r, d) if {
	d == "pod-create"
	some res in strings(r, "resources")
	pod_create(r, res)
}

has_danger(r, d) if {
	d == "token"
	some res in strings(r, "resources")
	token_create(r, res)
}

has_danger(r, d) if {
	d == "nodes-proxy"
	some res in strings(r, "resources")
	nodes_proxy(r, res)
}

has_danger(r, d) if {
	d == "pv-create"
	some res in strings(r, "resources")
	pv_create(r, res)
}

has_danger(r, d) if {
	d == "csr"
	some res in strings(r, "resources")
	csr_approval(r, res)
}

has_danger(r, d) if {
	d == "admission"
	some res in strings(r, "resources")
	admission_write(r, res)
}

# The descriptions of what policy rule `r` allows that is dangerous; `cluster_wide` is false
# when the rule is granted through a RoleBinding.
danger_texts(r, cluster_wide) := {t |
	some d, info in dangers
	has_danger(r, d)
	cluster_wide_ok(info, cluster_wide)
	t := info.text
}

cluster_wide_ok(info, _) if info.cluster_only == false

cluster_wide_ok(info, cluster_wide) if {
	info.cluster_only == true
	cluster_wide == true
}
