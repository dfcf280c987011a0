# Shared helpers for RBAC rules: what a Role or ClusterRole really grants, and who the
# bootstrap objects of Kubernetes really are.
#
# Effective permissions. Every RBAC rule decides with `grants` (and the predicates built on
# it), never by comparing strings itself, so that the API server's matching applies
# everywhere: verb `*` is every verb (bind, escalate and impersonate included), resource `*`
# is every resource and subresource, `x/*` every subresource of x and `*/y` subresource y of
# every resource, API group `*` every group; a namespaced grant (a Role, or a ClusterRole
# bound by a RoleBinding) of a cluster-scoped resource grants nothing; and an aggregated
# ClusterRole (`aggregationRule`) holds the rules of the ClusterRoles of the inventory its
# selectors pick. Matching is per rule and per resource string, so the cost is linear in the
# rules of the role under review (plus the ClusterRoles of the inventory for an aggregated one).
#
# Bootstrap objects. Kubernetes and kubeadm create a known set of ClusterRoles and bindings.
# Anyone can give an object such a name (or a `system:` prefix, or the bootstrapping label),
# so an exemption holds only for the exact bootstrap name with what that object really
# contains: a binding's role and subjects, a role's bootstrapping label. Everything else is
# judged like any other object; a waiver is the way to accept it.
package confgate.lib.rbac

role_kinds := {"Role", "ClusterRole"}

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# ---- Bootstrap roles and bindings ----

# ClusterRoles the API server creates and reconciles at start-up (exact names).
bootstrap_role_names := {
	"cluster-admin", "admin", "edit", "view",
	"system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view",
	"system:auth-delegator", "system:basic-user", "system:discovery", "system:public-info-viewer",
	"system:heapster", "system:kube-aggregator", "system:kube-controller-manager", "system:kube-dns",
	"system:kube-scheduler", "system:kubelet-api-admin", "system:monitoring", "system:node",
	"system:node-bootstrapper", "system:node-problem-detector", "system:node-proxier",
	"system:persistent-volume-provisioner", "system:service-account-issuer-discovery",
	"system:volume-scheduler",
	"system:certificates.k8s.io:certificatesigningrequests:nodeclient",
	"system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
	"system:certificates.k8s.io:kube-apiserver-client-approver",
	"system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
	"system:certificates.k8s.io:kubelet-serving-approver",
	"system:certificates.k8s.io:legacy-unknown-approver",
}

# The controllers of kube-controller-manager, each with a ClusterRole and a
# ClusterRoleBinding named system:controller:<name> for service account kube-system/<name>.
bootstrap_controllers := {
	"attachdetach-controller", "certificate-controller", "clusterrole-aggregation-controller",
	"cronjob-controller", "daemon-set-controller", "deployment-controller", "disruption-controller",
	"endpoint-controller", "endpointslice-controller", "endpointslicemirroring-controller",
	"ephemeral-volume-controller", "expand-controller", "generic-garbage-collector",
	"horizontal-pod-autoscaler", "job-controller", "legacy-service-account-token-cleaner",
	"namespace-controller", "node-controller", "persistent-volume-binder", "pod-garbage-collector",
	"pv-protection-controller", "pvc-protection-controller", "replicaset-controller",
	"replication-controller", "resourcequota-controller", "root-ca-cert-publisher", "route-controller",
	"selinux-warning-controller", "service-account-controller", "service-cidrs-controller",
	"service-controller", "statefulset-controller", "ttl-after-finished-controller", "ttl-controller",
	"validatingadmissionpolicy-status-controller", "volumeattributesclass-protection-controller",
}

# A ClusterRole name Kubernetes itself defines (a reference to it names the built-in role).
builtin_role_name(n) if n in bootstrap_role_names

builtin_role_name(n) if {
	is_string(n)
	startswith(n, "system:controller:")
	substring(n, count("system:controller:"), -1) in bootstrap_controllers
}

# The object is the bootstrap ClusterRole itself: an exact bootstrap name and the label the
# API server puts on the roles it reconciles.
genuine_builtin_role(obj) if {
	obj.kind == "ClusterRole"
	builtin_role_name(obj.metadata.name)
	data.confgate.lib.k8s.labels(obj)["kubernetes.io/bootstrapping"] == "rbac-defaults"
}

builtin_role if genuine_builtin_role(input)

# The bootstrap ClusterRoleBindings of the API server and kubeadm: name → role and subjects.
bootstrap_bindings := {
	"cluster-admin": {"role": "cluster-admin", "subjects": [{"kind": "Group", "name": "system:masters", "namespace": ""}]},
	"kubeadm:cluster-admins": {"role": "cluster-admin", "subjects": [{"kind": "Group", "name": "kubeadm:cluster-admins", "namespace": ""}]},
	"system:basic-user": {"role": "system:basic-user", "subjects": [{"kind": "Group", "name": "system:authenticated", "namespace": ""}]},
	"system:discovery": {"role": "system:discovery", "subjects": [{"kind": "Group", "name": "system:authenticated", "namespace": ""}]},
	"system:public-info-viewer": {"role": "system:public-info-viewer", "subjects": [{"kind": "Group", "name": "system:authenticated", "namespace": ""}, {"kind": "Group", "name": "system:unauthenticated", "namespace": ""}]},
	"system:monitoring": {"role": "system:monitoring", "subjects": [{"kind": "Group", "name": "system:monitoring", "namespace": ""}]},
	"system:node-proxier": {"role": "system:node-proxier", "subjects": [{"kind": "User", "name": "system:kube-proxy", "namespace": ""}]},
	"system:kube-controller-manager": {"role": "system:kube-controller-manager", "subjects": [{"kind": "User", "name": "system:kube-controller-manager", "namespace": ""}]},
	"system:kube-dns": {"role": "system:kube-dns", "subjects": [{"kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system"}]},
	"system:kube-scheduler": {"role": "system:kube-scheduler", "subjects": [{"kind": "User", "name": "system:kube-scheduler", "namespace": ""}]},
	"system:volume-scheduler": {"role": "system:volume-scheduler", "subjects": [{"kind": "User", "name": "system:kube-scheduler", "namespace": ""}]},
	"system:service-account-issuer-discovery": {"role": "system:service-account-issuer-discovery", "subjects": [{"kind": "Group", "name": "system:serviceaccounts", "namespace": ""}]},
	"kubeadm:kubelet-bootstrap": {"role": "system:node-bootstrapper", "subjects": [{"kind": "Group", "name": "system:bootstrappers:kubeadm:default-node-token", "namespace": ""}]},
	"kubeadm:node-autoapprove-bootstrap": {"role": "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "subjects": [{"kind": "Group", "name": "system:bootstrappers:kubeadm:default-node-token", "namespace": ""}]},
	"kubeadm:node-autoapprove-certificate-rotation": {"role": "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "subjects": [{"kind": "Group", "name": "system:nodes", "namespace": ""}]},
}

# Subject `s` of the input binding is one that the bootstrap binding of the same exact name
# really has (and the binding grants the bootstrap role). Other subjects added to a
# bootstrap binding, or a look-alike name, are not exempt.
bootstrap_subject(subject) if {
	input.kind == "ClusterRoleBinding"
	input.roleRef.kind == "ClusterRole"
	name := input.metadata.name
	is_string(name)
	b := bootstrap_bindings[name]
	input.roleRef.name == b.role
	is_object(subject)
	wanted := {"kind": object.get(subject, "kind", ""), "name": object.get(subject, "name", ""), "namespace": object.get(subject, "namespace", "")}
	wanted in b.subjects
}

bootstrap_subject(subject) if {
	input.kind == "ClusterRoleBinding"
	startswith(data.confgate.lib.k8s.name, "system:controller:")
	controller := substring(data.confgate.lib.k8s.name, count("system:controller:"), -1)
	controller in bootstrap_controllers
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == data.confgate.lib.k8s.name
	subject.kind == "ServiceAccount"
	subject.name == controller
	subject.namespace == "kube-system"
}

# ---- The rules of a role ----

# Every rule a user-defined Role/ClusterRole grants: {"rule", "path", "via"}. `via` is ""
# for the role's own rules and the name of the ClusterRole a rule comes from for an
# aggregated ClusterRole, whose path is then the selector that picks that role.
rules contains {"rule": r, "path": ["rules", i], "via": ""} if {
	input.kind in role_kinds
	not builtin_role
	some i, r in data.confgate.lib.k8s.list(input.rules)
	is_object(r)
}

# An aggregated ClusterRole written without rules (the aggregation controller fills them):
# the rules of the ClusterRoles of the inventory its selectors pick.
rules contains {"rule": r, "path": ["aggregationRule", "clusterRoleSelectors", k], "via": name} if {
	input.kind == "ClusterRole"
	not builtin_role
	count(data.confgate.lib.k8s.list(input.rules)) == 0
	some k, sel in data.confgate.lib.k8s.list(input.aggregationRule.clusterRoleSelectors)
	some name, role in cluster_roles
	name != data.confgate.lib.k8s.name
	data.confgate.lib.governance.selector_matches(sel, data.confgate.lib.k8s.labels(role))
	some r in own_or_aggregated_rules(role)
}

# The ClusterRoles of the inventory by name, whatever their apiVersion.
cluster_roles[name] := role if {
	some versions in data.inventory.cluster
	some name, role in versions.ClusterRole
	is_object(role)
}

# The rules of a ClusterRole of the inventory: its own, or for an aggregated one written
# without rules, those of the roles it picks (one level further; Rego has no recursion).
own_or_aggregated_rules(role) := [r | some r in data.confgate.lib.k8s.list(role.rules); is_object(r)] if {
	count(data.confgate.lib.k8s.list(role.rules)) > 0
} else := [r |
	some sel in data.confgate.lib.k8s.list(role.aggregationRule.clusterRoleSelectors)
	some name, other in cluster_roles
	name != role.metadata.name
	data.confgate.lib.governance.selector_matches(sel, data.confgate.lib.k8s.labels(other))
	some r in data.confgate.lib.k8s.list(other.rules)
	is_object(r)
]

# The rules of a role object found in the inventory (for bindings): its own rules, or the
# aggregated ones.
role_rules(role) := [] if {
	genuine_builtin_role(role)
} else := own_or_aggregated_rules(role)

# Where a finding about field `field` (verbs, resources, apiGroups), item `j`, of rule entry
# `x` points: at the item for a rule of the role itself, at the aggregation selector else.
field_path(x, field, j) := array.concat(x.path, [field, j]) if {
	x.via == ""
} else := x.path

# " (through aggregated ClusterRole \"name\")" for an aggregated rule, "" else.
via_text(x) := "" if {
	x.via == ""
} else := sprintf(" (through aggregated ClusterRole %q)", [x.via])

# The scope a role of the input grants in: "namespace" for a Role, "cluster" for a ClusterRole
# (bound by a ClusterRoleBinding; bound by a RoleBinding it grants in one namespace).
scope := "namespace" if {
	input.kind == "Role"
} else := "cluster"

# ---- Matching, as the API server's RBAC authorizer does it ----

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

# Resource string `res` of a rule covers resource `target` ("pods" or "pods/exec").
covers(res, target) if res == target

covers(res, _) if res == "*"

covers(res, target) if {
	endswith(res, "/*")
	contains(target, "/")
	split(target, "/")[0] == trim_suffix(res, "/*")
}

covers(res, target) if {
	startswith(res, "*/")
	contains(target, "/")
	split(target, "/")[1] == trim_prefix(res, "*/")
}

# Resources that are not namespaced (and subresources of them): a namespaced grant of them
# grants nothing.
cluster_scoped_resources := {
	"nodes", "persistentvolumes", "namespaces", "componentstatuses",
	"clusterroles", "clusterrolebindings", "certificatesigningrequests", "signers",
	"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
	"mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
	"customresourcedefinitions", "apiservices", "storageclasses", "csidrivers", "csinodes",
	"volumeattachments", "volumeattributesclasses", "priorityclasses", "runtimeclasses",
	"ingressclasses", "podsecuritypolicies", "users", "groups", "uids", "userextras",
	"tokenreviews", "subjectaccessreviews", "selfsubjectreviews", "ipaddresses", "servicecidrs",
	"flowschemas", "prioritylevelconfigurations", "deviceclasses", "resourceslices",
}

in_scope(target, "cluster") if is_string(target)

in_scope(target, "namespace") if not split(target, "/")[0] in cluster_scoped_resources

# THE permission check: rule `r` grants any of `verbs` on `target` (a resource, or
# resource/subresource) of API group `group` in `sc` ("cluster" or "namespace"), through its
# resource string `res`. Named-object limits are left to the caller.
grants(r, res, group, target, verbs, sc) if {
	is_string(res)
	in_scope(target, sc)
	covers(res, target)
	in_group(r, group)
	grants_any(r, verbs)
}

# Subjects of a binding with their index.
subjects contains {"subject": s, "index": i} if {
	input.kind in binding_kinds
	some i, s in data.confgate.lib.k8s.list(input.subjects)
	is_object(s)
}

# "Kind name" of a subject for messages, with the namespace of service accounts.
subject_text(s) := sprintf("%s %s/%s", [data.confgate.lib.k8s.text(s.kind), data.confgate.lib.k8s.text(s.namespace), data.confgate.lib.k8s.text(s.name)]) if {
	s.kind == "ServiceAccount"
	is_string(s.namespace)
} else := sprintf("%s %s", [data.confgate.lib.k8s.text(object.get(s, "kind", "subject")), data.confgate.lib.k8s.text(object.get(s, "name", ""))])

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

# ---- Dangerous permissions: `res` is one resource string of policy rule `r`, `sc` the scope
# it is granted in. ----

escalation_verbs := {"escalate", "bind", "impersonate"}

# Gains permissions it was not given: escalate or bind on roles, impersonate on identities.
# Returns the verb strings of `r` that do it.
escalation_grants(r, res, sc) := {v |
	some v in strings(r, "verbs")
	some t in escalation_targets
	lower(v) in t.verbs
	grants(r, res, t.group, t.resource, {lower(v)}, sc)
}

# What escalate, bind and impersonate act on (and `*`, which includes them).
escalation_targets := [
	{"group": "rbac.authorization.k8s.io", "resource": "roles", "verbs": {"escalate", "bind", "*"}},
	{"group": "rbac.authorization.k8s.io", "resource": "clusterroles", "verbs": {"escalate", "bind", "*"}},
	{"group": "", "resource": "users", "verbs": {"impersonate", "*"}},
	{"group": "", "resource": "groups", "verbs": {"impersonate", "*"}},
	{"group": "", "resource": "serviceaccounts", "verbs": {"impersonate", "*"}},
	{"group": "authentication.k8s.io", "resource": "uids", "verbs": {"impersonate", "*"}},
	{"group": "authentication.k8s.io", "resource": "userextras/scopes", "verbs": {"impersonate", "*"}},
]

escalation(r, res, sc) if count(escalation_grants(r, res, sc)) > 0

admission_resources := [
	"validatingwebhookconfigurations",
	"mutatingwebhookconfigurations",
	"validatingadmissionpolicies",
	"validatingadmissionpolicybindings",
	"mutatingadmissionpolicies",
	"mutatingadmissionpolicybindings",
]

# Reads the contents of every Secret in scope.
secrets_read(r, res, sc) if {
	grants(r, res, "", "secrets", {"get", "list", "watch"}, sc)
	not named_only(r)
}

# Runs commands in running containers (exec, attach, or an injected ephemeral container).
pod_exec(r, res, sc) if {
	some target in ["pods/exec", "pods/attach"]
	grants(r, res, "", target, {"create", "get"}, sc)
}

pod_exec(r, res, sc) if grants(r, res, "", "pods/ephemeralcontainers", {"update", "patch"}, sc)

# Talks to the kubelet API of nodes through the API server.
nodes_proxy(r, res, sc) if grants(r, res, "", "nodes/proxy", {"get", "create", "update", "patch", "delete", "*"}, sc)

# Creates pods directly.
pod_create(r, res, sc) if grants(r, res, "", "pods", {"create"}, sc)

# Creates PersistentVolumes (and so hostPath volumes on any node).
pv_create(r, res, sc) if grants(r, res, "", "persistentvolumes", {"create"}, sc)

# Approves certificate signing requests.
csr_approval(r, res, sc) if grants(r, res, "certificates.k8s.io", "certificatesigningrequests/approval", {"update", "patch"}, sc)

# Creates, changes or deletes admission webhooks and admission policies.
admission_write(r, res, sc) if {
	some target in admission_resources
	grants(r, res, "admissionregistration.k8s.io", target, {"create"}, sc)
}

admission_write(r, res, sc) if {
	some target in admission_resources
	grants(r, res, "admissionregistration.k8s.io", target, {"update", "patch", "delete", "deletecollection"}, sc)
	not named_only(r)
}

# Mints tokens for any service account in scope.
token_create(r, res, sc) if {
	grants(r, res, "", "serviceaccounts/token", {"create"}, sc)
	not named_only(r)
}

# Every verb on every resource.
full_wildcard(r) if {
	"*" in strings(r, "verbs")
	"*" in strings(r, "resources")
}

# ---- Summary of a whole policy rule, for the binding rule. ----

# What each danger lets the holder do.
dangers := {
	"wildcard": "grants every verb on every resource",
	"escalation": "grants escalate, bind or impersonate",
	"secrets": "can read every Secret",
	"exec": "can run commands in running pods",
	"pod-create": "can create pods",
	"token": "can mint service account tokens",
	"nodes-proxy": "can reach the kubelet API through nodes/proxy",
	"pv-create": "can create PersistentVolumes",
	"csr": "can approve certificate signing requests",
	"admission": "can change admission webhooks or policies",
}

has_danger(r, "wildcard", _) if full_wildcard(r)

has_danger(r, "escalation", sc) if {
	some res in strings(r, "resources")
	escalation(r, res, sc)
}

has_danger(r, "secrets", sc) if {
	some res in strings(r, "resources")
	secrets_read(r, res, sc)
}

has_danger(r, "exec", sc) if {
	some res in strings(r, "resources")
	pod_exec(r, res, sc)
}

has_danger(r, "pod-create", sc) if {
	some res in strings(r, "resources")
	pod_create(r, res, sc)
}

has_danger(r, "token", sc) if {
	some res in strings(r, "resources")
	token_create(r, res, sc)
}

has_danger(r, "nodes-proxy", sc) if {
	some res in strings(r, "resources")
	nodes_proxy(r, res, sc)
}

has_danger(r, "pv-create", sc) if {
	some res in strings(r, "resources")
	pv_create(r, res, sc)
}

has_danger(r, "csr", sc) if {
	some res in strings(r, "resources")
	csr_approval(r, res, sc)
}

has_danger(r, "admission", sc) if {
	some res in strings(r, "resources")
	admission_write(r, res, sc)
}

# The descriptions of what policy rule `r` allows that is dangerous, granted in scope `sc`.
danger_texts(r, sc) := {t |
	some d, t in dangers
	has_danger(r, d, sc)
}
