package confgate.business_test

# Unit tests for the business rules about workloads, resources, labels and Ingresses: each
# rule fires on a minimal offending object (id and exact path) and stays quiet on a near miss
# and when its parameter is off. Run with `confgate policy test --run business`.

# --- fixtures

# Evaluates the business rules on `obj` with parameters `params` in environment `env`, with
# `objs` (other objects of the directory) as the inventory.
eval(obj, params, env, objs) := fs if {
	fs := data.confgate.business.deny with input as obj
		with data.business as params
		with data.settings as {"environment": env}
		with data.inventory as inventory(objs)
}

# Gatekeeper-shaped inventory: namespace[ns][apiVersion][kind][name].
inventory(objs) := {"cluster": {}, "namespace": {ns: inv_versions(objs, ns) | some o in objs; ns := inv_ns(o)}}

inv_ns(o) := object.get(o.metadata, "namespace", "default")

inv_versions(objs, ns) := {av: inv_kinds(objs, ns, av) | some o in objs; inv_ns(o) == ns; av := o.apiVersion}

inv_kinds(objs, ns, av) := {k: inv_names(objs, ns, av, k) | some o in objs; inv_ns(o) == ns; o.apiVersion == av; k := o.kind}

inv_names(objs, ns, av, k) := {o.metadata.name: o | some o in objs; inv_ns(o) == ns; o.apiVersion == av; o.kind == k}

ids(fs, id) := [f | some f in fs; f.id == id]

paths(fs, id) := {f.path | some f in fs; f.id == id}

container := {
	"name": "app",
	"image": "registry.example.com/shop/app:1.4.2",
	"resources": {"limits": {"cpu": "1", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
	"readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
	"livenessProbe": {"httpGet": {"path": "/live", "port": 8080}},
}

# A Deployment in namespace shop with `spec` merged into its spec and `c` as its container.
deploy(spec, c) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "app", "namespace": "shop", "labels": {"app": "app"}},
	"spec": object.union(
		{
			"selector": {"matchLabels": {"app": "app"}},
			"template": {"metadata": {"labels": {"app": "app", "tier": "web"}}, "spec": {"containers": [c]}},
		},
		spec,
	),
}

hpa(min, max) := {
	"apiVersion": "autoscaling/v2",
	"kind": "HorizontalPodAutoscaler",
	"metadata": {"name": "app", "namespace": "shop"},
	"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"}, "minReplicas": min, "maxReplicas": max},
}

pdb(ns, selector) := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "app", "namespace": ns},
	"spec": {"minAvailable": 1, "selector": selector},
}

cpath := ["spec", "template", "spec", "containers", 0]

# Everything the rules look for, wrong at once.
bad_deploy := deploy({"replicas": 30}, {"name": "app", "image": "nginx", "env": [{"name": "DEBUG", "value": "true"}, {"name": "APP_ENV", "value": "dev"}]})

bad_ingress := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"rules": [{"host": "shop.example.com"}]},
}

all_params := {
	"min_replicas": 2, "max_replicas": 3, "require_limits": true, "require_requests": true,
	"forbid_latest": true, "forbid_debug": true, "require_probes": true, "require_pdb": true,
	"require_tls": true, "required_labels": ["team"],
}

# --- parameters off

test_no_parameters_no_findings if {
	count(eval(bad_deploy, {}, null, [])) == 0
	count(eval(bad_ingress, {}, null, [])) == 0
	bare := data.confgate.business.deny with input as bad_deploy
	count(bare) == 0
}

test_null_and_false_parameters_no_findings if {
	off := {
		"min_replicas": null, "max_replicas": null, "require_limits": false, "require_requests": null,
		"forbid_latest": false, "forbid_debug": false, "require_probes": false, "require_pdb": null,
		"require_tls": false, "required_labels": null,
	}
	count(eval(bad_deploy, off, null, [])) == 0
	count(eval(bad_ingress, off, null, [])) == 0
}

test_every_parameter_fires_on_bad_objects if {
	fs := eval(bad_deploy, all_params, "prod", [])
	{f.id | some f in fs} == {
		"max-replicas", "limits-required", "requests-required", "latest-tag", "debug-enabled",
		"probes-required", "required-labels", "pdb-required", "environment-mismatch",
	}
	{f.id | some f in eval(bad_ingress, all_params, "prod", [])} == {"ingress-tls-required", "required-labels"}
}

# --- min-replicas

test_min_replicas_fires_below_minimum if {
	fs := eval(deploy({"replicas": 1}, container), {"min_replicas": 2}, "prod", [])
	paths(fs, "min-replicas") == {["spec", "replicas"]}
}

test_min_replicas_counts_absent_replicas_as_one if {
	fs := eval(deploy({}, container), {"min_replicas": 2}, "prod", [])
	paths(fs, "min-replicas") == {["spec"]}
}

test_min_replicas_quiet_at_minimum if {
	count(ids(eval(deploy({"replicas": 2}, container), {"min_replicas": 2}, "prod", []), "min-replicas")) == 0
	count(ids(eval(deploy({"replicas": 1}, container), {"min_replicas": 1}, "prod", []), "min-replicas")) == 0
}

test_min_replicas_checks_the_hpa_minimum if {
	low := eval(deploy({"replicas": 3}, container), {"min_replicas": 2}, "prod", [hpa(1, 5)])
	paths(low, "min-replicas") == {["spec", "replicas"]}
	some f in low
	contains(f.msg, "HorizontalPodAutoscaler")
	high := eval(deploy({"replicas": 1}, container), {"min_replicas": 2}, "prod", [hpa(2, 5)])
	count(ids(high, "min-replicas")) == 0
}

test_min_replicas_checks_keda_minimum if {
	so := {
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
		"metadata": {"name": "app-scaler", "namespace": "shop"},
		"spec": {"scaleTargetRef": {"name": "app"}, "maxReplicaCount": 4},
	}
	fs := eval(deploy({}, container), {"min_replicas": 1}, "prod", [so])
	paths(fs, "min-replicas") == {["spec"]}
}

test_min_replicas_ignores_other_kinds_and_placeholders if {
	ds := object.union(deploy({}, container), {"kind": "DaemonSet"})
	count(ids(eval(ds, {"min_replicas": 2}, "prod", []), "min-replicas")) == 0
	templated := deploy({"replicas": "{{ .Values.replicas }}"}, container)
	count(ids(eval(templated, {"min_replicas": 2}, "prod", []), "min-replicas")) == 0
}

# --- max-replicas

test_max_replicas_fires_above_maximum if {
	fs := eval(deploy({"replicas": 10}, container), {"max_replicas": 3}, "dev", [])
	paths(fs, "max-replicas") == {["spec", "replicas"]}
}

test_max_replicas_quiet_at_maximum if {
	count(ids(eval(deploy({"replicas": 3}, container), {"max_replicas": 3}, "dev", []), "max-replicas")) == 0
	count(ids(eval(deploy({}, container), {"max_replicas": 1}, "dev", []), "max-replicas")) == 0
}

test_max_replicas_checks_the_hpa_maximum if {
	fs := eval(deploy({}, container), {"max_replicas": 3}, "dev", [hpa(1, 20)])
	paths(fs, "max-replicas") == {["spec"]}
	count(ids(eval(deploy({"replicas": 10}, container), {"max_replicas": 3}, "dev", [hpa(1, 3)]), "max-replicas")) == 0
}

# --- limits-required

test_limits_required_fires_without_resources if {
	fs := eval(deploy({}, {"name": "app", "image": "app:1"}), {"require_limits": true}, "prod", [])
	paths(fs, "limits-required") == {cpath}
	some f in fs
	f.id == "limits-required"
	contains(f.msg, "cpu and memory")
}

test_limits_required_points_at_the_limits_when_one_is_missing if {
	c := {"name": "app", "image": "app:1", "resources": {"limits": {"cpu": "1"}}}
	fs := eval(deploy({}, c), {"require_limits": true}, "prod", [])
	paths(fs, "limits-required") == {array.concat(cpath, ["resources", "limits"])}
}

test_limits_required_covers_init_containers if {
	d := deploy({}, container)
	init := {"spec": {"template": {"spec": {"initContainers": [{"name": "migrate", "image": "app:1", "resources": {}}]}}}}
	fs := eval(object.union(d, init), {"require_limits": true}, "prod", [])
	paths(fs, "limits-required") == {["spec", "template", "spec", "initContainers", 0, "resources"]}
}

test_limits_required_quiet_with_limits_or_limitrange if {
	count(ids(eval(deploy({}, container), {"require_limits": true}, "prod", []), "limits-required")) == 0
	lr := {
		"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults", "namespace": "shop"},
		"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"}}]},
	}
	bare := deploy({}, {"name": "app", "image": "app:1"})
	count(ids(eval(bare, {"require_limits": true}, "prod", [lr]), "limits-required")) == 0
}

# --- requests-required

test_requests_required_fires_without_requests if {
	c := {"name": "app", "image": "app:1", "resources": {"requests": {"cpu": "100m"}}}
	fs := eval(deploy({}, c), {"require_requests": true}, "prod", [])
	paths(fs, "requests-required") == {array.concat(cpath, ["resources", "requests"])}
	bare := eval(deploy({}, {"name": "app", "image": "app:1"}), {"require_requests": true}, "prod", [])
	paths(bare, "requests-required") == {cpath}
}

test_requests_required_quiet_with_requests_or_limits if {
	count(ids(eval(deploy({}, container), {"require_requests": true}, "prod", []), "requests-required")) == 0
	limits_only := {"name": "app", "image": "app:1", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}
	count(ids(eval(deploy({}, limits_only), {"require_requests": true}, "prod", []), "requests-required")) == 0
}

# --- latest-tag

test_latest_tag_fires_without_tag_or_on_latest if {
	untagged := eval(deploy({}, object.union(container, {"image": "nginx"})), {"forbid_latest": true}, "prod", [])
	paths(untagged, "latest-tag") == {array.concat(cpath, ["image"])}
	latest := eval(deploy({}, object.union(container, {"image": "registry:5000/app:latest"})), {"forbid_latest": true}, "prod", [])
	paths(latest, "latest-tag") == {array.concat(cpath, ["image"])}
	port := eval(deploy({}, object.union(container, {"image": "registry:5000/app"})), {"forbid_latest": true}, "prod", [])
	count(ids(port, "latest-tag")) == 1
}

test_latest_tag_quiet_on_version_digest_and_placeholder if {
	count(ids(eval(deploy({}, container), {"forbid_latest": true}, "prod", []), "latest-tag")) == 0
	digest := "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	count(ids(eval(deploy({}, object.union(container, {"image": digest})), {"forbid_latest": true}, "prod", []), "latest-tag")) == 0
	count(ids(eval(deploy({}, object.union(container, {"image": "${IMAGE}"})), {"forbid_latest": true}, "prod", []), "latest-tag")) == 0
}

# --- probes-required

test_probes_required_fires_without_probes if {
	fs := eval(deploy({}, {"name": "app", "image": "app:1"}), {"require_probes": true}, "prod", [])
	paths(fs, "probes-required") == {cpath}
	some f in fs
	f.id == "probes-required"
	contains(f.msg, "readiness and liveness")
}

test_probes_required_points_at_an_empty_probe if {
	c := object.union(object.remove(container, ["livenessProbe"]), {"livenessProbe": {}})
	fs := eval(deploy({}, c), {"require_probes": true}, "prod", [])
	paths(fs, "probes-required") == {array.concat(cpath, ["livenessProbe"])}
}

test_probes_required_quiet_on_probes_jobs_and_init_containers if {
	count(ids(eval(deploy({}, container), {"require_probes": true}, "prod", []), "probes-required")) == 0
	job := {
		"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "shop"},
		"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "once", "image": "app:1"}]}}},
	}
	count(ids(eval(job, {"require_probes": true}, "prod", []), "probes-required")) == 0
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "app:1"}]}}
	count(ids(eval(pod, {"require_probes": true}, "prod", []), "probes-required")) == 0
	init := {"spec": {"template": {"spec": {"initContainers": [{"name": "migrate", "image": "app:1"}]}}}}
	count(ids(eval(object.union(deploy({}, container), init), {"require_probes": true}, "prod", []), "probes-required")) == 0
}

test_probes_required_fires_on_restarted_pod if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "app:1", "readinessProbe": {"exec": {"command": ["true"]}}}]}}
	fs := eval(pod, {"require_probes": true}, "prod", [])
	paths(fs, "probes-required") == {["spec", "containers", 0]}
}

# --- required-labels

test_required_labels_fire_per_missing_label if {
	fs := eval(deploy({}, container), {"required_labels": ["team", "cost-center", "app"]}, "prod", [])
	count(ids(fs, "required-labels")) == 2
	paths(fs, "required-labels") == {["metadata", "labels"]}
}

test_required_labels_point_at_metadata_without_labels if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {}}
	fs := eval(cm, {"required_labels": ["team"]}, "prod", [])
	paths(fs, "required-labels") == {["metadata"]}
}

test_required_labels_point_at_an_empty_label if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"team": " "}}}
	fs := eval(cm, {"required_labels": ["team"]}, "prod", [])
	paths(fs, "required-labels") == {["metadata", "labels", "team"]}
}

test_required_labels_quiet_when_present if {
	count(ids(eval(deploy({}, container), {"required_labels": ["app"]}, "prod", []), "required-labels")) == 0
	count(ids(eval(deploy({}, container), {"required_labels": []}, "prod", []), "required-labels")) == 0
}

# --- pdb-required

test_pdb_required_fires_without_pdb if {
	fs := eval(deploy({"replicas": 3}, container), {"require_pdb": true}, "prod", [])
	paths(fs, "pdb-required") == {["spec", "replicas"]}
	other_ns := eval(deploy({"replicas": 3}, container), {"require_pdb": true}, "prod", [pdb("other", {"matchLabels": {"app": "app"}})])
	paths(other_ns, "pdb-required") == {["spec", "replicas"]}
	other_app := eval(deploy({"replicas": 3}, container), {"require_pdb": true}, "prod", [pdb("shop", {"matchLabels": {"app": "api"}})])
	paths(other_app, "pdb-required") == {["spec", "replicas"]}
}

test_pdb_required_fires_when_an_autoscaler_may_scale_out if {
	fs := eval(deploy({}, container), {"require_pdb": true}, "prod", [hpa(1, 4)])
	paths(fs, "pdb-required") == {["spec"]}
}

test_pdb_required_quiet_with_matching_pdb_or_one_replica if {
	ok := eval(deploy({"replicas": 3}, container), {"require_pdb": true}, "prod", [pdb("shop", {"matchLabels": {"app": "app"}})])
	count(ids(ok, "pdb-required")) == 0
	one := eval(deploy({"replicas": 1}, container), {"require_pdb": true}, "prod", [])
	count(ids(one, "pdb-required")) == 0
}

# --- ingress-tls-required

ingress(spec, annotations) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
	"spec": spec,
}

test_ingress_tls_required_fires_without_tls if {
	fs := eval(ingress({"rules": [{"host": "shop.example.com"}]}, {}), {"require_tls": true}, "prod", [])
	paths(fs, "ingress-tls-required") == {["spec"]}
	empty := eval(ingress({"tls": [], "rules": [{"host": "shop.example.com"}]}, {}), {"require_tls": true}, "prod", [])
	paths(empty, "ingress-tls-required") == {["spec", "tls"]}
}

test_ingress_tls_required_fires_on_uncovered_host if {
	spec := {
		"tls": [{"hosts": ["shop.example.com", "*.api.example.com"], "secretName": "web-tls"}],
		"rules": [{"host": "shop.example.com"}, {"host": "admin.example.com"}, {"host": "v1.api.example.com"}],
	}
	fs := eval(ingress(spec, {}), {"require_tls": true}, "prod", [])
	paths(fs, "ingress-tls-required") == {["spec", "rules", 1, "host"]}
}

test_ingress_tls_required_quiet_with_tls if {
	covered := {"tls": [{"hosts": ["shop.example.com"], "secretName": "web-tls"}], "rules": [{"host": "shop.example.com"}]}
	count(ids(eval(ingress(covered, {}), {"require_tls": true}, "prod", []), "ingress-tls-required")) == 0
	catch_all := {"tls": [{"secretName": "default-tls"}], "rules": [{"host": "shop.example.com"}]}
	count(ids(eval(ingress(catch_all, {}), {"require_tls": true}, "prod", []), "ingress-tls-required")) == 0
	alb := {"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}
	count(ids(eval(ingress({"rules": [{"host": "shop.example.com"}]}, alb), {"require_tls": true}, "prod", []), "ingress-tls-required")) == 0
}
