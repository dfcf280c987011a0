# Unit tests for the network rules: at least one firing and one quiet case per rule.
package confgate.rules.network

# ---- helpers ----

nt_ids(obj) := {f.id | some f in deny with input as obj}

nt_ids_inv(obj, inv) := {f.id | some f in deny with input as obj with data.inventory as inv}

nt_findings(obj, id) := [f | some f in deny with input as obj; f.id == id]

nt_service(name, spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"}, "spec": spec}

nt_namespace(name) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}

nt_policy(name, spec) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": name, "namespace": "shop"},
	"spec": spec,
}

# An inventory holding the given NetworkPolicies (by name) in namespace shop.
nt_inventory(policies) := {"cluster": {}, "namespace": {"shop": {"networking.k8s.io/v1": {"NetworkPolicy": policies}}}}

nt_ingress(name, tls, rules) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": name, "namespace": "shop"},
	"spec": {"tls": tls, "rules": rules},
}

nt_deny_all := nt_policy("deny-all", {"podSelector": {}, "policyTypes": ["Ingress"]})

nt_app_only := nt_policy("db", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]}]})

# ---- CG3001 service-load-balancer ----

test_load_balancer_fires if {
	"CG3001" in nt_ids(nt_service("s", {"type": "LoadBalancer"}))
}

test_load_balancer_fires_with_open_source_ranges if {
	"CG3001" in nt_ids(nt_service("s", {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8", "::/0"]}))
}

test_load_balancer_quiet_when_internal if {
	svc := object.union(nt_service("s", {"type": "LoadBalancer"}), {"metadata": {"annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}}})
	not "CG3001" in nt_ids(svc)
}

# ---- CG3002 service-node-port ----

test_node_port_fires if {
	"CG3002" in nt_ids(nt_service("s", {"type": "NodePort"}))
}

test_node_port_quiet_for_cluster_ip if {
	not "CG3002" in nt_ids(nt_service("s", {"type": "ClusterIP"}))
}

# ---- CG3003 service-external-ips ----

test_external_ips_fires if {
	"CG3003" in nt_ids(nt_service("s", {"externalIPs": ["203.0.113.1"]}))
}

test_external_ips_quiet_when_empty if {
	not "CG3003" in nt_ids(nt_service("s", {"externalIPs": []}))
}

# ---- CG3004 ingress-without-tls ----

test_ingress_without_tls_fires if {
	"CG3004" in nt_ids({"kind": "Ingress", "metadata": {"name": "i"}, "spec": {"rules": [{"host": "a.example.com"}]}})
}

test_ingress_without_tls_quiet_with_alb_certificate if {
	not "CG3004" in nt_ids({"kind": "Ingress", "metadata": {"name": "i", "annotations": {"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:x"}}, "spec": {}})
}

# ---- CG3005 namespace-without-network-policy ----

test_namespace_without_policy_fires if {
	"CG3005" in nt_ids_inv(nt_namespace("shop"), nt_inventory({}))
}

test_namespace_without_policy_quiet_with_policy if {
	not "CG3005" in nt_ids_inv(nt_namespace("shop"), nt_inventory({"db": nt_app_only}))
}

test_namespace_without_policy_quiet_for_kube_system if {
	not "CG3005" in nt_ids_inv(nt_namespace("kube-system"), nt_inventory({}))
}

# ---- CG3006 namespace-without-default-deny ----

test_default_deny_missing_fires if {
	"CG3006" in nt_ids_inv(nt_namespace("shop"), nt_inventory({"db": nt_app_only}))
}

test_default_deny_missing_fires_when_deny_all_is_undone if {
	open := nt_policy("open", {"podSelector": {}, "ingress": [{}]})
	"CG3006" in nt_ids_inv(nt_namespace("shop"), nt_inventory({"open": open}))
}

test_default_deny_missing_fires_for_egress_only_policy if {
	egress := nt_policy("egress", {"podSelector": {}, "policyTypes": ["Egress"]})
	"CG3006" in nt_ids_inv(nt_namespace("shop"), nt_inventory({"egress": egress}))
}

test_default_deny_quiet_with_deny_all if {
	not "CG3006" in nt_ids_inv(nt_namespace("shop"), nt_inventory({"db": nt_app_only, "deny-all": nt_deny_all}))
}

test_default_deny_quiet_with_namespace_wide_allow_list if {
	# Every pod is selected and only the monitoring namespace may connect: isolation holds.
	p := nt_policy("from-monitoring", {"podSelector": {"matchLabels": {}}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]}]})
	not "CG3006" in nt_ids_inv(nt_namespace("shop"), nt_inventory({"m": p}))
}

test_default_deny_quiet_without_any_policy if {
	not "CG3006" in nt_ids_inv(nt_namespace("shop"), nt_inventory({}))
}

test_default_deny_quiet_with_calico_policy if {
	inv := {"cluster": {}, "namespace": {"shop": {
		"networking.k8s.io/v1": {"NetworkPolicy": {"db": nt_app_only}},
		"crd.projectcalico.org/v1": {"NetworkPolicy": {"deny": {"kind": "NetworkPolicy", "spec": {"selector": "all()"}}}},
	}}}
	not "CG3006" in nt_ids_inv(nt_namespace("shop"), inv)
}

test_default_deny_quiet_with_cilium_default_deny if {
	inv := {"cluster": {}, "namespace": {"shop": {"cilium.io/v2": {"CiliumNetworkPolicy": {"deny": {"kind": "CiliumNetworkPolicy", "spec": {"endpointSelector": {}, "ingress": [{}]}}}}}}}
	not "CG3006" in nt_ids_inv(nt_namespace("shop"), inv)
}

# ---- CG3007 network-policy-allow-all-ingress ----

test_allow_all_ingress_fires_on_empty_rule if {
	fs := nt_findings(nt_policy("p", {"podSelector": {}, "ingress": [{}]}), "CG3007")
	fs[0].path == ["spec", "ingress", 0]
}

test_allow_all_ingress_fires_on_any_address if {
	fs := nt_findings(nt_policy("p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "::/0"}}]}]}), "CG3007")
	fs[0].path == ["spec", "ingress", 0, "from", 0]
}

test_allow_all_ingress_quiet_with_ports if {
	not "CG3007" in nt_ids(nt_policy("p", {"podSelector": {}, "ingress": [{"ports": [{"port": 443}]}]}))
}

test_allow_all_ingress_quiet_when_policy_is_egress_only if {
	not "CG3007" in nt_ids(nt_policy("p", {"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}]}))
}

test_allow_all_ingress_quiet_for_named_sources if {
	not "CG3007" in nt_ids(nt_policy("p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}))
}

# ---- CG3008 network-policy-allow-all-egress ----

test_allow_all_egress_fires if {
	fs := nt_findings(nt_policy("p", {"podSelector": {}, "egress": [{"to": []}]}), "CG3008")
	fs[0].path == ["spec", "egress", 0, "to"]
}

test_allow_all_egress_quiet_when_not_covered if {
	not "CG3008" in nt_ids(nt_policy("p", {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{}]}))
}

test_allow_all_egress_quiet_with_except if {
	not "CG3008" in nt_ids(nt_policy("p", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]}]}))
}

# ---- CG3009 service-sensitive-port-exposed ----

test_sensitive_port_fires_on_node_port if {
	fs := nt_findings(nt_service("pg", {"type": "NodePort", "ports": [{"port": 80, "targetPort": 5432}]}), "CG3009")
	fs[0].path == ["spec", "ports", 0, "targetPort"]
}

test_sensitive_port_reports_each_port_once if {
	fs := nt_findings(nt_service("pg", {"type": "LoadBalancer", "ports": [{"port": 5432, "targetPort": 5432}]}), "CG3009")
	count(fs) == 1
	fs[0].path == ["spec", "ports", 0, "port"]
}

test_sensitive_port_quiet_for_cluster_ip if {
	not "CG3009" in nt_ids(nt_service("pg", {"type": "ClusterIP", "ports": [{"port": 5432}]}))
}

test_sensitive_port_quiet_for_restricted_load_balancer if {
	not "CG3009" in nt_ids(nt_service("pg", {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"], "ports": [{"port": 5432}]}))
}

# ---- CG3010 ingress-host-without-tls ----

test_host_without_tls_fires if {
	fs := nt_findings(nt_ingress("i", [{"hosts": ["a.example.com"]}], [{"host": "a.example.com"}, {"host": "b.example.com"}]), "CG3010")
	count(fs) == 1
	fs[0].path == ["spec", "rules", 1, "host"]
}

test_host_without_tls_fires_for_deeper_subdomain if {
	"CG3010" in nt_ids(nt_ingress("i", [{"hosts": ["*.example.com"]}], [{"host": "a.b.example.com"}]))
}

test_host_without_tls_quiet_for_wildcard if {
	not "CG3010" in nt_ids(nt_ingress("i", [{"hosts": ["*.example.com"]}], [{"host": "A.example.com"}]))
}

test_host_without_tls_quiet_for_catch_all_tls if {
	not "CG3010" in nt_ids(nt_ingress("i", [{"secretName": "default"}], [{"host": "b.example.com"}]))
}

test_host_without_tls_quiet_without_tls_section if {
	not "CG3010" in nt_ids(nt_ingress("i", [], [{"host": "b.example.com"}]))
}

# ---- CG3011 ingress-nginx-snippet-annotation ----

test_snippet_fires if {
	ing := object.union(nt_ingress("i", [], []), {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/server-snippet": "location /x { return 200; }"}}})
	fs := nt_findings(ing, "CG3011")
	fs[0].path == ["metadata", "annotations", "nginx.ingress.kubernetes.io/server-snippet"]
}

test_snippet_quiet_for_other_annotations if {
	ing := object.union(nt_ingress("i", [], []), {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/", "nginx.ingress.kubernetes.io/server-snippet": ""}}})
	not "CG3011" in nt_ids(ing)
}

# ---- robustness: malformed objects never raise errors ----

test_malformed_service_is_quiet if {
	count(deny) == 0 with input as {"kind": "Service", "metadata": {"name": 1}, "spec": {"type": "ClusterIP", "ports": [null, "x", {"port": "5432"}], "externalIPs": "1.2.3.4"}}
}

test_malformed_policy_is_quiet if {
	pol := {"apiVersion": 3, "kind": "NetworkPolicy", "metadata": {}, "spec": {"podSelector": "x", "policyTypes": "Ingress", "ingress": "all", "egress": [null, {"to": "x", "ports": 5}]}}
	count(deny) == 0 with input as pol
	# Malformed peer and port lists count as absent; what matters is that nothing raises.
	count(deny) >= 0 with input as object.union(pol, {"apiVersion": "networking.k8s.io/v1"})
}

test_malformed_ingress_is_quiet if {
	ing := {"kind": "Ingress", "metadata": {"name": "i", "annotations": {"alb.ingress.kubernetes.io/certificate-arn": 5}}, "spec": {"tls": [{"hosts": [7, null]}], "rules": [{"host": 3}, null, {"host": "a.example.com"}]}}
	{f.id | some f in deny with input as ing} == {"CG3010"}
}

test_malformed_inventory_is_quiet if {
	inv := {"cluster": {}, "namespace": {"shop": {"networking.k8s.io/v1": {"NetworkPolicy": {"p": {"spec": "x"}, "q": null}}}}}
	ids := nt_ids_inv(nt_namespace("shop"), inv)
	not "CG3005" in ids
}
