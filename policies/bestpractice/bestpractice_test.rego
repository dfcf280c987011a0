package confgate.rules.bestpractice

# Unit tests for the best-practice rules: each rule fires on a minimal offending object and
# stays quiet on a near miss. Run with `confgate policy test --run bestpractice`.

bp_deploy(ns, replicas, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "app", "namespace": ns},
	"spec": object.union(
		{"selector": {"matchLabels": {"app": "app"}}, "template": {"metadata": {"labels": {"app": "app"}}, "spec": spec}},
		replicas,
	),
}

bp_container := {"name": "app", "image": "example/app:1.0.0"}

bp_ids(id, fs) := {f | some f in fs; f.id == id}

bp_paths(id, fs) := {f.path | some f in fs; f.id == id}

bp_inv(ns, objs) := {"namespace": {ns: {"v1": {o.kind: {o.metadata.name: o} | some o in objs}}}, "cluster": {}}

bp_hpa(min) := {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "app"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "app"}, "minReplicas": min, "maxReplicas": 5}}

# CG5001-CG5005: limits, requests and probes

test_cg5001_5005_fire_on_bare_container if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [bp_container]})
	count(bp_ids("CG5001", fs)) == 1
	count(bp_ids("CG5002", fs)) == 1
	count(bp_ids("CG5003", fs)) == 2
	count(bp_ids("CG5004", fs)) == 1
	count(bp_ids("CG5005", fs)) == 1
}

test_cg5001_5005_quiet_on_complete_container if {
	c := object.union(bp_container, {
		"resources": {"limits": {"cpu": 1, "memory": "256Mi"}},
		"livenessProbe": {"httpGet": {"path": "/", "port": 8080}},
		"readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
	})
	fs := deny with input as bp_deploy("shop", {}, {"containers": [c]})
	count({f | some f in fs; f.id in {"CG5001", "CG5002", "CG5003", "CG5004", "CG5005"}}) == 0
}

# CG5006, CG5007: image tags

test_cg5006_fires_on_latest if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [{"name": "a", "image": "nginx"}]})
	count(bp_ids("CG5006", fs)) == 1
	count(bp_ids("CG5007", fs)) == 1
}

test_cg5006_5007_quiet_on_digest if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [{"name": "a", "image": "nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]})
	count(bp_ids("CG5006", fs)) == 0
	count(bp_ids("CG5007", fs)) == 0
}

# CG5008 default-namespace

test_cg5008_fires_in_default if {
	fs := deny with input as bp_deploy("default", {}, {"containers": [bp_container]})
	bp_paths("CG5008", fs) == {["metadata", "namespace"]}
}

test_cg5008_quiet_elsewhere if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [bp_container]})
	count(bp_ids("CG5008", fs)) == 0
}

# CG5009 service-account-token-automount

test_cg5009_fires_without_opt_out if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [bp_container]})
	count(bp_ids("CG5009", fs)) == 1
}

test_cg5009_quiet_with_opt_out if {
	fs := deny with input as bp_deploy("shop", {}, {"automountServiceAccountToken": false, "containers": [bp_container]})
	count(bp_ids("CG5009", fs)) == 0
}

# CG5010 recommended-labels-missing

test_cg5010_fires_without_name_label if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [bp_container]})
	count(bp_ids("CG5010", fs)) == 1
}

test_cg5010_quiet_with_name_label if {
	d := bp_deploy("shop", {}, {"containers": [bp_container]})
	fs := deny with input as object.union(d, {"metadata": {"labels": {"app.kubernetes.io/name": "app"}}})
	count(bp_ids("CG5010", fs)) == 0
}

# CG5011 single-replica

test_cg5011_fires_on_one_replica if {
	fs := deny with input as bp_deploy("shop", {"replicas": 1}, {"containers": [bp_container]})
	bp_paths("CG5011", fs) == {["spec", "replicas"]}
}

test_cg5011_quiet_in_production_and_with_hpa if {
	prod := deny with input as bp_deploy("shop-prod", {"replicas": 1}, {"containers": [bp_container]})
	count(bp_ids("CG5011", prod)) == 0
	hpa := deny with input as bp_deploy("shop", {}, {"containers": [bp_container]})
		with data.inventory as bp_inv("shop", [bp_hpa(2)])
	count(bp_ids("CG5011", hpa)) == 0
}

# CG5012 pdb-missing

test_cg5012_fires_without_pdb if {
	fs := deny with input as bp_deploy("prod", {"replicas": 3}, {"containers": [bp_container]})
	bp_paths("CG5012", fs) == {["spec", "replicas"]}
}

test_cg5012_fires_with_production_label_on_namespace if {
	ns := {"kind": "Namespace", "metadata": {"name": "payments", "labels": {"environment": "Production"}}}
	fs := deny with input as bp_deploy("payments", {"replicas": 2}, {"containers": [bp_container]})
		with data.inventory as {"cluster": {"v1": {"Namespace": {"payments": ns}}}, "namespace": {}}
	count(bp_ids("CG5012", fs)) == 1
}

test_cg5012_quiet_with_pdb_or_outside_production if {
	pdb := {"kind": "PodDisruptionBudget", "metadata": {"name": "app"}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "app"}}}}
	covered := deny with input as bp_deploy("prod", {"replicas": 3}, {"containers": [bp_container]})
		with data.inventory as bp_inv("prod", [pdb])
	count(bp_ids("CG5012", covered)) == 0
	staging := deny with input as bp_deploy("products", {"replicas": 3}, {"containers": [bp_container]})
	count(bp_ids("CG5012", staging)) == 0
}

# CG5013 production-replicas-too-few

test_cg5013_fires_on_default_replicas_in_production if {
	fs := deny with input as bp_deploy("shop-production", {}, {"containers": [bp_container]})
	bp_paths("CG5013", fs) == {["metadata", "name"]}
}

test_cg5013_fires_on_hpa_min_one if {
	fs := deny with input as bp_deploy("prod", {}, {"containers": [bp_container]})
		with data.inventory as bp_inv("prod", [bp_hpa(1)])
	some f in bp_ids("CG5013", fs)
	contains(f.msg, "minReplicas")
}

test_cg5013_quiet_on_two_replicas_or_zero if {
	two := deny with input as bp_deploy("prod", {"replicas": 2}, {"containers": [bp_container]})
	count(bp_ids("CG5013", two)) == 0
	zero := deny with input as bp_deploy("prod", {"replicas": 0}, {"containers": [bp_container]})
	count(bp_ids("CG5013", zero)) == 0
}

# CG5014 resource-request-exceeds-limit

test_cg5014_fires_on_memory_request_above_limit if {
	c := object.union(bp_container, {"resources": {"requests": {"memory": "1Gi", "cpu": "2"}, "limits": {"memory": "512Mi", "cpu": 1}}})
	fs := deny with input as bp_deploy("shop", {}, {"containers": [c]})
	bp_paths("CG5014", fs) == {
		["spec", "template", "spec", "containers", 0, "resources", "requests", "memory"],
		["spec", "template", "spec", "containers", 0, "resources", "requests", "cpu"],
	}
}

test_cg5014_quiet_on_equal_or_unparseable if {
	c := object.union(bp_container, {"resources": {"requests": {"memory": "512M", "cpu": "1"}, "limits": {"memory": "512Mi", "cpu": "1000m"}}})
	ok := deny with input as bp_deploy("shop", {}, {"containers": [c]})
	count(bp_ids("CG5014", ok)) == 0
	odd := object.union(bp_container, {"resources": {"requests": {"memory": "lots", "cpu": true}, "limits": {"memory": 1, "cpu": "1e3"}}})
	fs := deny with input as bp_deploy("shop", {}, {"containers": [odd]})
	count(bp_ids("CG5014", fs)) == 0
}

# CG5015 mutable-tag-pull-policy

test_cg5015_fires_on_latest_if_not_present if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [{"name": "a", "image": "example/a:latest", "imagePullPolicy": "IfNotPresent"}]})
	bp_paths("CG5015", fs) == {["spec", "template", "spec", "containers", 0, "imagePullPolicy"]}
}

test_cg5015_quiet_on_pinned_or_always if {
	fs := deny with input as bp_deploy("shop", {}, {"containers": [
		{"name": "a", "image": "example/a:1.2.3", "imagePullPolicy": "IfNotPresent"},
		{"name": "b", "image": "example/b:latest", "imagePullPolicy": "Always"},
		{"name": "c", "image": "registry:5000/c@sha256:abc", "imagePullPolicy": "Never"},
	]})
	count(bp_ids("CG5015", fs)) == 0
}

# CG5016 replicas-set-with-hpa

test_cg5016_fires_on_replicas_with_hpa if {
	fs := deny with input as bp_deploy("shop", {"replicas": 2}, {"containers": [bp_container]})
		with data.inventory as bp_inv("shop", [bp_hpa(2)])
	bp_paths("CG5016", fs) == {["spec", "replicas"]}
}

test_cg5016_quiet_without_autoscaler if {
	fs := deny with input as bp_deploy("shop", {"replicas": 2}, {"containers": [bp_container]})
	count(bp_ids("CG5016", fs)) == 0
}

# CG5017 pdb-disallows-disruption

bp_pdb(spec) := {"kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "shop"}, "spec": object.union({"selector": {"matchLabels": {"app": "app"}}}, spec)}

test_cg5017_fires_on_max_unavailable_zero if {
	fs := deny with input as bp_pdb({"maxUnavailable": 0})
	bp_paths("CG5017", fs) == {["spec", "maxUnavailable"]}
}

test_cg5017_fires_on_min_available_all_replicas if {
	d := bp_deploy("shop", {"replicas": 2}, {"containers": [bp_container]})
	fs := deny with input as bp_pdb({"minAvailable": 2})
		with data.inventory as bp_inv("shop", [d])
	bp_paths("CG5017", fs) == {["spec", "minAvailable"]}
}

test_cg5017_quiet_on_room_to_evict if {
	d := bp_deploy("shop", {"replicas": 3}, {"containers": [bp_container]})
	fs := deny with input as bp_pdb({"minAvailable": 2})
		with data.inventory as bp_inv("shop", [d])
	count(bp_ids("CG5017", fs)) == 0
	pct := deny with input as bp_pdb({"minAvailable": "50%"})
	count(bp_ids("CG5017", pct)) == 0
}

# CG5018 selector-template-mismatch

test_cg5018_fires_on_mismatch if {
	d := bp_deploy("shop", {}, {"containers": [bp_container]})
	fs := deny with input as object.union(d, {"spec": {"selector": {"matchLabels": {"app": "other"}}}})
	bp_paths("CG5018", fs) == {["spec", "selector"]}
}

test_cg5018_fires_on_failed_expression if {
	d := bp_deploy("shop", {}, {"containers": [bp_container]})
	fs := deny with input as object.union(d, {"spec": {"selector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}}})
	count(bp_ids("CG5018", fs)) == 1
}

test_cg5018_quiet_on_match_and_patch if {
	ok := deny with input as bp_deploy("shop", {}, {"containers": [bp_container]})
	count(bp_ids("CG5018", ok)) == 0
	patch := deny with input as {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"}, "spec": {"template": {"spec": {"containers": [bp_container]}}}}
	count(bp_ids("CG5018", patch)) == 0
}

# CG5019 probe-port-undeclared

test_cg5019_fires_on_unknown_port_name if {
	c := object.union(bp_container, {"ports": [{"name": "web", "containerPort": 80}], "livenessProbe": {"tcpSocket": {"port": "http"}}})
	fs := deny with input as bp_deploy("shop", {}, {"containers": [c]})
	bp_paths("CG5019", fs) == {["spec", "template", "spec", "containers", 0, "livenessProbe", "tcpSocket", "port"]}
}

test_cg5019_quiet_on_declared_name_or_number if {
	c := object.union(bp_container, {"ports": [{"name": "http", "containerPort": 80}], "livenessProbe": {"tcpSocket": {"port": "http"}}, "readinessProbe": {"httpGet": {"port": 80}}})
	fs := deny with input as bp_deploy("shop", {}, {"containers": [c]})
	count(bp_ids("CG5019", fs)) == 0
}

# CG5020 production-spread-missing

test_cg5020_fires_without_spread if {
	fs := deny with input as bp_deploy("prod", {"replicas": 3}, {"containers": [bp_container]})
	bp_paths("CG5020", fs) == {["spec", "template", "spec", "topologySpreadConstraints"]}
}

test_cg5020_quiet_with_anti_affinity if {
	spec := {"containers": [bp_container], "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}}
	fs := deny with input as bp_deploy("prod", {"replicas": 3}, spec)
	count(bp_ids("CG5020", fs)) == 0
}

# Robustness: odd shapes never raise errors.

test_bestpractice_odd_shapes_are_quiet if {
	fs := deny with input as {"kind": "Deployment", "metadata": {"name": "x", "namespace": "prod", "labels": {"env": 1}}, "spec": {"replicas": "two", "selector": "app=x", "template": {"metadata": {"labels": "x"}, "spec": {"containers": [{"name": "a", "image": 5, "resources": {"requests": {"cpu": {}}, "limits": []}, "livenessProbe": {"httpGet": {"port": ["x"]}}, "ports": "80"}]}}}}
	count(bp_ids("CG5014", fs)) + count(bp_ids("CG5018", fs)) + count(bp_ids("CG5019", fs)) == 0
}

# Workload kinds of other APIs (lib/k8s.rego workload_templates)

bp_rollout(extra) := object.union({
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Rollout",
	"metadata": {"name": "app", "namespace": "shop-prod"},
	"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "app"}}, "template": {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": [bp_container]}}},
}, extra)

test_rollout_gets_container_findings if {
	fs := deny with input as bp_rollout({})
	bp_paths("CG5001", fs) == {["spec", "template", "spec", "containers", 0, "resources", "limits", "memory"]}
}

test_knative_service_gets_container_findings_and_core_service_does_not if {
	ksvc := {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "k", "namespace": "shop"}, "spec": {"template": {"spec": {"containers": [bp_container]}}}}
	count({f | some f in deny with input as ksvc; f.id == "CG5001"}) == 1
	core := object.union(ksvc, {"apiVersion": "v1"})
	count({f | some f in deny with input as core; f.id == "CG5001"}) == 0
}

test_keda_scaled_job_gets_container_findings if {
	sj := {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": {"name": "j", "namespace": "shop"}, "spec": {"jobTargetRef": {"template": {"spec": {"containers": [bp_container]}}}}}
	{f.path | some f in deny with input as sj; f.id == "CG5002"} == {["spec", "jobTargetRef", "template", "spec", "containers", 0, "resources", "limits", "cpu"]}
}

test_cg5012_rollout_workload_ref_uses_the_referenced_template_labels if {
	ref := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "app", "namespace": "shop-prod"}, "spec": {"replicas": 3, "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "tpl"}}}
	tpl := object.union(bp_deploy("shop-prod", {"replicas": 0}, {"containers": [bp_container]}), {"metadata": {"name": "tpl"}})
	pdb := object.union(bp_pdb({"maxUnavailable": 1}), {"metadata": {"namespace": "shop-prod"}})
	count({f | some f in deny with input as ref with data.inventory as bp_inv("shop-prod", [tpl, pdb]); f.id == "CG5012"}) == 0
	count({f | some f in deny with input as ref with data.inventory as bp_inv("shop-prod", [tpl]); f.id == "CG5012"}) == 1
}

test_cg5016_fires_on_deployment_config_with_hpa if {
	dc := {"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig", "metadata": {"name": "app", "namespace": "shop"}, "spec": {"replicas": 2, "selector": {"app": "app"}, "template": {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": [bp_container]}}}}
	hpa := object.union(bp_hpa(2), {"spec": {"scaleTargetRef": {"kind": "DeploymentConfig"}}})
	{f.path | some f in deny with input as dc with data.inventory as bp_inv("shop", [hpa]); f.id == "CG5016"} == {["spec", "replicas"]}
}

# CG5017 with an autoscaler: the budget against the fewest pods the HPA may leave

test_cg5017_fires_when_hpa_min_reaches_min_available if {
	d := bp_deploy("shop", {}, {"containers": [bp_container]})
	fs := deny with input as bp_pdb({"minAvailable": 2})
		with data.inventory as bp_inv("shop", [d, bp_hpa(2)])
	bp_paths("CG5017", fs) == {["spec", "minAvailable"]}
	some f in bp_ids("CG5017", fs)
	contains(f.msg, "scaled down to 2")
}

test_cg5017_quiet_when_hpa_min_leaves_room if {
	d := bp_deploy("shop", {}, {"containers": [bp_container]})
	fs := deny with input as bp_pdb({"minAvailable": 2})
		with data.inventory as bp_inv("shop", [d, bp_hpa(3)])
	count(bp_ids("CG5017", fs)) == 0
}

# CG5018 on templates without labels and on other kinds

test_cg5018_fires_on_template_without_labels if {
	d := bp_deploy("shop", {}, {"containers": [bp_container]})
	fs := deny with input as json.remove(d, ["spec/template/metadata"])
	some f in bp_ids("CG5018", fs)
	contains(f.msg, "it has none")
	contains(f.msg, "the API server rejects it")
}

test_cg5018_deployment_config_map_selector if {
	dc := {"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig", "metadata": {"name": "app", "namespace": "shop"}, "spec": {"selector": {"app": "app"}, "template": {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": [bp_container]}}}}
	count({f | some f in deny with input as dc; f.id == "CG5018"}) == 0
	count({f | some f in deny with input as object.union(dc, {"spec": {"selector": {"app": "other"}}}); f.id == "CG5018"}) == 1
}

test_cg5018_quiet_on_rollout_with_workload_ref if {
	r := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "app", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "app"}}, "workloadRef": {"kind": "Deployment", "name": "app"}}}
	count({f | some f in deny with input as r; f.id == "CG5018"}) == 0
}

# CG5019 on a named port declared for UDP

test_cg5019_fires_on_udp_named_port if {
	c := object.union(bp_container, {"ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"}], "readinessProbe": {"tcpSocket": {"port": "dns"}}})
	fs := deny with input as bp_deploy("shop", {}, {"containers": [c]})
	some f in bp_ids("CG5019", fs)
	contains(f.msg, "UDP")
}

test_cg5019_quiet_on_tcp_named_port if {
	c := object.union(bp_container, {"ports": [{"name": "dns", "containerPort": 53, "protocol": "TCP"}], "readinessProbe": {"tcpSocket": {"port": "dns"}}})
	count({f | some f in deny with input as bp_deploy("shop", {}, {"containers": [c]}); f.id == "CG5019"}) == 0
}
