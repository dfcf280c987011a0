# Unit tests for the RBAC rules: at least one firing and one quiet case per rule.
package confgate.rules.rbac

# ---- helpers ----

rt_ids(obj) := {f.id | some f in deny with input as obj}

rt_ids_inv(obj, inv) := {f.id | some f in deny with input as obj with data.inventory as inv}

rt_findings(obj, id) := [f | some f in deny with input as obj; f.id == id]

rt_role(kind, name, rules) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": name, "namespace": "shop"},
	"rules": rules,
}

rt_binding(kind, name, ref_kind, ref_name, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": name, "namespace": "shop"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name},
	"subjects": subjects,
}

rt_sa(name, ns) := {"kind": "ServiceAccount", "name": name, "namespace": ns}

rt_group(name) := {"kind": "Group", "name": name, "apiGroup": "rbac.authorization.k8s.io"}

rt_empty_inventory := {"cluster": {}, "namespace": {}}

# ---- CG2001 rbac-wildcard ----

test_wildcard_fires_on_every_wildcard_field if {
	fs := rt_findings(rt_role("Role", "r", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]), "CG2001")
	{p | some f in fs; p := f.path} == {["rules", 0, "apiGroups", 0], ["rules", 0, "resources", 0], ["rules", 0, "verbs", 0]}
}

test_wildcard_quiet_on_explicit_lists if {
	not "CG2001" in rt_ids(rt_role("Role", "r", [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}]))
}

test_wildcard_quiet_on_metrics_read if {
	not "CG2001" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["custom.metrics.k8s.io"], "resources": ["*"], "verbs": ["get", "list"]}]))
}

test_wildcard_fires_on_metrics_write if {
	"CG2001" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["custom.metrics.k8s.io"], "resources": ["*"], "verbs": ["create"]}]))
}

rt_bootstrap_label := {"metadata": {"labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}}

test_wildcard_quiet_on_builtin_roles if {
	role := object.union(rt_role("ClusterRole", "cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]), rt_bootstrap_label)
	not "CG2001" in rt_ids(role)
}

test_wildcard_fires_on_role_named_like_a_system_role if {
	role := object.union(rt_role("ClusterRole", "system:anything", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]), rt_bootstrap_label)
	"CG2001" in rt_ids(role)
}

test_wildcard_fires_on_bootstrap_name_without_bootstrap_label if {
	"CG2001" in rt_ids(rt_role("ClusterRole", "cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]))
}

# ---- CG2002 cluster-admin-binding ----

test_cluster_admin_fires_for_service_account if {
	fs := rt_findings(rt_binding("ClusterRoleBinding", "ci", "ClusterRole", "cluster-admin", [rt_sa("deployer", "ci")]), "CG2002")
	count(fs) == 1
	fs[0].path == ["subjects", 0]
}

test_cluster_admin_fires_for_all_service_accounts_group if {
	"CG2002" in rt_ids(rt_binding("ClusterRoleBinding", "sas", "ClusterRole", "cluster-admin", [rt_group("system:serviceaccounts")]))
}

test_cluster_admin_fires_for_binding_named_like_a_system_binding if {
	"CG2002" in rt_ids(rt_binding("ClusterRoleBinding", "system:anything", "ClusterRole", "cluster-admin", [rt_sa("app", "shop")]))
	"CG2002" in rt_ids(rt_binding("ClusterRoleBinding", "system:controller:foo", "ClusterRole", "cluster-admin", [rt_sa("foo", "kube-system")]))
	"CG2002" in rt_ids(object.union(rt_binding("ClusterRoleBinding", "kubeadm:x", "ClusterRole", "cluster-admin", [rt_sa("app", "shop")]), {"metadata": {"labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}}))
}

test_cluster_admin_quiet_for_kubeadm_bootstrap_binding if {
	not "CG2002" in rt_ids(rt_binding("ClusterRoleBinding", "kubeadm:cluster-admins", "ClusterRole", "cluster-admin", [rt_group("kubeadm:cluster-admins")]))
}

test_cluster_admin_fires_for_subject_added_to_a_bootstrap_binding if {
	fs := rt_findings(rt_binding("ClusterRoleBinding", "kubeadm:cluster-admins", "ClusterRole", "cluster-admin", [rt_group("kubeadm:cluster-admins"), rt_sa("app", "shop")]), "CG2002")
	[f.path | some f in fs] == [["subjects", 1]]
}

test_cluster_admin_quiet_for_admin_role if {
	not "CG2002" in rt_ids(rt_binding("RoleBinding", "ci", "ClusterRole", "admin", [rt_sa("deployer", "ci")]))
}

# ---- CG2003 rbac-escalation-verbs ----

test_escalation_fires_on_impersonate if {
	fs := rt_findings(rt_role("ClusterRole", "r", [{"apiGroups": [""], "resources": ["users"], "verbs": ["get", "Impersonate"]}]), "CG2003")
	fs[0].path == ["rules", 0, "verbs", 1]
}

test_escalation_quiet_on_reading_roles if {
	not "CG2003" in rt_ids(rt_role("Role", "r", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["get", "list"]}]))
}

# ---- CG2004 rbac-secrets-read ----

test_secrets_read_fires if {
	"CG2004" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]))
}

test_secrets_read_quiet_with_resource_names if {
	not "CG2004" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["db"], "verbs": ["get"]}]))
}

test_secrets_read_quiet_on_create_only if {
	not "CG2004" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}]))
}

# ---- CG2005 rbac-pod-exec ----

test_pod_exec_fires_on_exec if {
	"CG2005" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]))
}

test_pod_exec_fires_on_ephemeral_containers if {
	"CG2005" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["pods/ephemeralcontainers"], "verbs": ["patch"]}]))
}

test_pod_exec_quiet_on_logs if {
	not "CG2005" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["pods/log", "pods/ephemeralcontainers"], "verbs": ["get"]}]))
}

# ---- CG2006 rbac-nodes-proxy ----

test_nodes_proxy_fires if {
	"CG2006" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]))
}

test_nodes_proxy_quiet_on_metrics if {
	not "CG2006" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]}]))
}

test_nodes_proxy_quiet_in_namespaced_role if {
	not "CG2006" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]))
}

# ---- CG2007 default-service-account-binding ----

test_default_sa_binding_fires if {
	fs := rt_findings(rt_binding("RoleBinding", "b", "Role", "r", [rt_sa("default", "shop")]), "CG2007")
	fs[0].path == ["subjects", 0, "name"]
}

test_default_sa_binding_quiet_for_dedicated_account if {
	not "CG2007" in rt_ids(rt_binding("RoleBinding", "b", "Role", "r", [rt_sa("orders", "shop"), {"kind": "User", "name": "default"}]))
}

# ---- CG2008 rbac-pod-create ----

test_pod_create_fires if {
	"CG2008" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]))
}

test_pod_create_quiet_on_read if {
	not "CG2008" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]))
}

test_pod_create_quiet_in_other_group if {
	not "CG2008" in rt_ids(rt_role("Role", "r", [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["create"]}]))
}

# ---- CG2009 system-masters-binding ----

test_system_masters_fires_on_binding if {
	fs := rt_findings(rt_binding("ClusterRoleBinding", "ops", "ClusterRole", "view", [rt_group("system:masters")]), "CG2009")
	fs[0].path == ["subjects", 0, "name"]
}

test_system_masters_fires_on_aws_auth if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": {"mapUsers": "- userarn: arn:aws:iam::1:user/a\n  groups: [system:masters]\n"}}
	fs := rt_findings(cm, "CG2009")
	fs[0].path == ["data", "mapUsers"]
}

test_system_masters_quiet_on_bootstrap_binding if {
	not "CG2009" in rt_ids(rt_binding("ClusterRoleBinding", "cluster-admin", "ClusterRole", "cluster-admin", [rt_group("system:masters")]))
}

test_system_masters_quiet_on_user_named_like_the_group if {
	not "CG2009" in rt_ids(rt_binding("ClusterRoleBinding", "ops", "ClusterRole", "view", [{"kind": "User", "name": "system:masters"}]))
}

test_system_masters_quiet_on_other_config_map if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "notes"}, "data": {"mapRoles": "system:masters"}}
	not "CG2009" in rt_ids(cm)
}

# ---- CG2010 rbac-persistent-volume-create ----

test_pv_create_fires if {
	"CG2010" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]}]))
}

test_pv_create_quiet_on_claims if {
	not "CG2010" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": [""], "resources": ["persistentvolumeclaims", "persistentvolumes"], "verbs": ["get"]}, {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["create"]}]))
}

# ---- CG2011 rbac-csr-approval ----

test_csr_approval_fires if {
	"CG2011" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["patch"]}]))
}

test_csr_approval_quiet_on_status if {
	not "CG2011" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/status"], "verbs": ["update"]}]))
}

# ---- CG2012 rbac-admission-config-write ----

test_admission_write_fires_on_create if {
	"CG2012" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"], "resourceNames": ["x"], "verbs": ["create"]}]))
}

test_admission_write_fires_on_delete if {
	"CG2012" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["*"], "resources": ["validatingadmissionpolicies"], "verbs": ["delete"]}]))
}

test_admission_write_quiet_on_named_patch if {
	not "CG2012" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"], "resourceNames": ["mine"], "verbs": ["get", "patch"]}]))
}

# ---- CG2013 rbac-token-create ----

test_token_create_fires if {
	"CG2013" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}]))
}

test_token_create_quiet_with_resource_names if {
	not "CG2013" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["serviceaccounts/token"], "resourceNames": ["vault"], "verbs": ["create"]}]))
}

# ---- CG2014 default-service-account-automount ----

test_default_sa_automount_fires_when_unset if {
	fs := rt_findings({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop"}}, "CG2014")
	fs[0].path == ["automountServiceAccountToken"]
}

test_default_sa_automount_quiet_when_off if {
	not "CG2014" in rt_ids({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}, "automountServiceAccountToken": false})
}

test_default_sa_automount_quiet_for_other_accounts if {
	not "CG2014" in rt_ids({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "orders"}})
}

# ---- CG2015 binding-to-dangerous-role ----

rt_secret_reader := rt_role("Role", "reader", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}])

rt_proxy_role := rt_role("ClusterRole", "proxy", [{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}])

rt_inventory := {
	"cluster": {"rbac.authorization.k8s.io/v1": {"ClusterRole": {"proxy": rt_proxy_role}}},
	"namespace": {"shop": {"rbac.authorization.k8s.io/v1": {"Role": {"reader": rt_secret_reader}}}},
}

test_dangerous_role_binding_fires_and_names_the_rule if {
	b := rt_binding("RoleBinding", "b", "Role", "reader", [rt_sa("ci", "ci")])
	fs := [f | some f in deny with input as b with data.inventory as rt_inventory; f.id == "CG2015"]
	count(fs) == 1
	fs[0].path == ["roleRef", "name"]
	contains(fs[0].msg, "rules[1] can read every Secret")
}

test_dangerous_role_binding_fires_cluster_wide_for_cluster_scoped if {
	b := rt_binding("ClusterRoleBinding", "b", "ClusterRole", "proxy", [rt_sa("agent", "monitoring")])
	"CG2015" in rt_ids_inv(b, rt_inventory)
}

test_dangerous_role_binding_quiet_for_cluster_scoped_through_role_binding if {
	b := rt_binding("RoleBinding", "b", "ClusterRole", "proxy", [rt_sa("agent", "monitoring")])
	not "CG2015" in rt_ids_inv(b, rt_inventory)
}

test_dangerous_role_binding_quiet_when_role_is_not_in_scan if {
	b := rt_binding("RoleBinding", "b", "Role", "reader", [rt_sa("ci", "ci")])
	not "CG2015" in rt_ids_inv(b, rt_empty_inventory)
}

test_dangerous_role_binding_quiet_for_role_of_other_namespace if {
	b := object.union(rt_binding("RoleBinding", "b", "Role", "reader", [rt_sa("ci", "ci")]), {"metadata": {"namespace": "other"}})
	not "CG2015" in rt_ids_inv(b, rt_inventory)
}

test_dangerous_role_binding_quiet_without_subjects if {
	b := rt_binding("RoleBinding", "b", "Role", "reader", [])
	not "CG2015" in rt_ids_inv(b, rt_inventory)
}

# ---- CG2016 anonymous-access-binding ----

test_anonymous_binding_fires_for_anonymous_user if {
	fs := rt_findings(rt_binding("RoleBinding", "b", "Role", "r", [rt_sa("x", "shop"), {"kind": "User", "name": "system:anonymous"}]), "CG2016")
	fs[0].path == ["subjects", 1, "name"]
}

test_anonymous_binding_quiet_for_discovery if {
	not "CG2016" in rt_ids(rt_binding("ClusterRoleBinding", "system:discovery", "ClusterRole", "system:discovery", [rt_group("system:authenticated")]))
}

# ---- CG2017 cluster-wide-admin-binding ----

test_cluster_wide_admin_fires if {
	fs := rt_findings(rt_binding("ClusterRoleBinding", "devs", "ClusterRole", "admin", [rt_group("devs"), rt_sa("ci", "ci")]), "CG2017")
	count(fs) == 1
	contains(fs[0].msg, "Group devs, ServiceAccount ci/ci")
}

test_cluster_wide_admin_quiet_in_one_namespace if {
	not "CG2017" in rt_ids(rt_binding("RoleBinding", "devs", "ClusterRole", "admin", [rt_group("devs")]))
}

# ---- robustness: malformed objects never raise errors ----

test_malformed_role_is_quiet if {
	count(deny) == 0 with input as {"kind": "ClusterRole", "metadata": {"name": 7}, "rules": [null, "x", {"verbs": "*", "resources": {"a": 1}, "apiGroups": 3}]}
}

test_malformed_binding_is_quiet if {
	count(deny) == 0 with input as {"kind": "RoleBinding", "metadata": "x", "roleRef": "cluster-admin", "subjects": [null, {"kind": 1, "name": ["a"]}]} with data.inventory as rt_empty_inventory
}

test_malformed_service_account_and_config_map_are_quiet if {
	count(deny) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "aws-auth"}, "data": {"mapRoles": ["system:masters"]}}
}

# ---- name-based exemptions: only the real bootstrap objects ----

test_system_masters_fires_on_binding_named_like_a_system_binding if {
	"CG2009" in rt_ids(rt_binding("ClusterRoleBinding", "system:anything", "ClusterRole", "view", [rt_group("system:masters")]))
}

test_cluster_wide_admin_fires_on_binding_named_like_a_system_binding if {
	"CG2017" in rt_ids(rt_binding("ClusterRoleBinding", "system:aggregate", "ClusterRole", "edit", [rt_sa("ci", "ci")]))
}

test_dangerous_role_binding_fires_for_role_named_like_a_system_role if {
	role := rt_role("ClusterRole", "system:reader", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])
	inv := {"cluster": {"rbac.authorization.k8s.io/v1": {"ClusterRole": {"system:reader": role}}}, "namespace": {}}
	"CG2015" in rt_ids_inv(rt_binding("ClusterRoleBinding", "b", "ClusterRole", "system:reader", [rt_sa("ci", "ci")]), inv)
}

test_anonymous_binding_fires_when_the_discovery_role_is_redefined if {
	role := rt_role("ClusterRole", "system:discovery", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])
	inv := {"cluster": {"rbac.authorization.k8s.io/v1": {"ClusterRole": {"system:discovery": role}}}, "namespace": {}}
	"CG2016" in rt_ids_inv(rt_binding("ClusterRoleBinding", "system:discovery", "ClusterRole", "system:discovery", [rt_group("system:authenticated")]), inv)
}

# ---- effective permissions (lib/rbac.rego grants) ----

test_effective_secrets_read_through_wildcard_resources_and_groups if {
	fs := rt_findings(rt_role("Role", "r", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["list"]}]), "CG2004")
	[f.path | some f in fs] == [["rules", 0, "resources", 0]]
	not "CG2004" in rt_ids(rt_role("Role", "r", [{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["list"]}]))
}

test_effective_wildcard_verb_includes_escalation if {
	fs := rt_findings(rt_role("Role", "r", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["*"]}]), "CG2003")
	[f.path | some f in fs] == [["rules", 0, "verbs", 0]]
	contains(fs[0].msg, "every verb")
}

test_effective_wildcard_verb_on_plain_resources_is_no_escalation if {
	not "CG2003" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]}]))
}

test_effective_impersonate_of_users_in_a_namespaced_role_grants_nothing if {
	not "CG2003" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}]))
	"CG2003" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}]))
}

test_effective_csr_approval_through_wildcards if {
	"CG2011" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["certificates.k8s.io"], "resources": ["*/approval"], "verbs": ["update"]}]))
	"CG2011" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]))
	not "CG2011" in rt_ids(rt_role("ClusterRole", "r", [{"apiGroups": ["certificates.k8s.io"], "resources": ["*/status"], "verbs": ["update"]}]))
}

test_effective_subresource_wildcards if {
	"CG2005" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}]))
	"CG2013" in rt_ids(rt_role("Role", "r", [{"apiGroups": [""], "resources": ["serviceaccounts/*"], "verbs": ["create"]}]))
}

rt_agg_part := object.union(rt_role("ClusterRole", "part", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]), {"metadata": {"labels": {"acme.io/aggregate-to-ops": "true"}}})

rt_agg := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "ClusterRole",
	"metadata": {"name": "ops"},
	"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"acme.io/aggregate-to-ops": "true"}}]},
	"rules": [],
}

rt_agg_inventory := {"cluster": {"rbac.authorization.k8s.io/v1": {"ClusterRole": {"part": rt_agg_part, "ops": rt_agg}}}, "namespace": {}}

test_effective_aggregated_role_holds_the_rules_it_selects if {
	fs := [f | some f in deny with input as rt_agg with data.inventory as rt_agg_inventory; f.id == "CG2004"]
	[f.path | some f in fs] == [["aggregationRule", "clusterRoleSelectors", 0]]
	contains(fs[0].msg, "through aggregated ClusterRole \"part\"")
}

test_effective_aggregated_role_selects_nothing_without_matching_labels if {
	inv := {"cluster": {"rbac.authorization.k8s.io/v1": {"ClusterRole": {"part": rt_role("ClusterRole", "part", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]), "ops": rt_agg}}}, "namespace": {}}
	not "CG2004" in rt_ids_inv(rt_agg, inv)
}

test_effective_binding_to_aggregated_role if {
	b := rt_binding("ClusterRoleBinding", "ops", "ClusterRole", "ops", [rt_group("ops")])
	fs := [f | some f in deny with input as b with data.inventory as rt_agg_inventory; f.id == "CG2015"]
	contains(fs[0].msg, "aggregated rule can read every Secret")
}

test_effective_namespaced_binding_of_cluster_scoped_wildcards_is_limited if {
	role := rt_role("ClusterRole", "nodes", [{"apiGroups": [""], "resources": ["nodes/*", "persistentvolumes"], "verbs": ["*"]}])
	inv := {"cluster": {"rbac.authorization.k8s.io/v1": {"ClusterRole": {"nodes": role}}}, "namespace": {}}
	not "CG2015" in rt_ids_inv(rt_binding("RoleBinding", "b", "ClusterRole", "nodes", [rt_sa("ci", "ci")]), inv)
	"CG2015" in rt_ids_inv(rt_binding("ClusterRoleBinding", "b", "ClusterRole", "nodes", [rt_sa("ci", "ci")]), inv)
}
