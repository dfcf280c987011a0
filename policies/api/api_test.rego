package confgate.rules.api

# Unit tests for the API deprecation rules, with the target release set through
# data.settings as --kube-version does. Run with `confgate policy test --run api`.

api_ids(id, fs) := {f | some f in fs; f.id == id}

api_settings(minor) := {"kube_major": 1, "kube_minor": minor, "kube_version": sprintf("1.%d", [minor])}

# CG7001 removed-api-version

test_cg7001_fires_on_removed_version if {
	fs := deny with input as {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}}
		with data.settings as api_settings(34)
	some f in api_ids("CG7001", fs)
	f.path == ["apiVersion"]
	contains(f.msg, "autoscaling/v2")
	contains(f.msg, "1.26")
}

test_cg7001_quiet_before_removal if {
	fs := deny with input as {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}}
		with data.settings as api_settings(25)
	count(api_ids("CG7001", fs)) == 0
	count(api_ids("CG7002", fs)) == 1
}

test_cg7001_defaults_to_newest_release if {
	fs := deny with input as {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "i"}}
	count(api_ids("CG7001", fs)) == 1
}

test_cg7001_quiet_on_current_and_custom_apis if {
	fs := deny with input as {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}
	count(fs) == 0
	crd := deny with input as {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "Kafka", "metadata": {"name": "k"}}
	count(crd) == 0
}

# CG7002 deprecated-api-version

test_cg7002_fires_on_endpoints if {
	fs := deny with input as {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"}}
		with data.settings as api_settings(33)
	some f in api_ids("CG7002", fs)
	contains(f.msg, "EndpointSlice")
}

test_cg7002_quiet_on_controller_managed_endpoints if {
	fs := deny with input as {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e", "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2025-01-01T00:00:00Z"}}}
	count(fs) == 0
}

test_cg7002_quiet_before_deprecation if {
	fs := deny with input as {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"}}
		with data.settings as api_settings(32)
	count(fs) == 0
}

# CG7003 deprecated-annotation

test_cg7003_fires_on_pod_template_annotation if {
	d := {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"metadata": {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}}, "spec": {"containers": []}}}}
	fs := deny with input as d
	{f.path | some f in api_ids("CG7003", fs)} == {["spec", "template", "metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"]}
}

test_cg7003_says_ignored if {
	fs := deny with input as {"kind": "Pod", "metadata": {"name": "p", "annotations": {"scheduler.alpha.kubernetes.io/critical-pod": ""}}, "spec": {"containers": []}}
	some f in api_ids("CG7003", fs)
	contains(f.msg, "ignores since 1.16")
}

test_cg7003_quiet_before_deprecation_and_on_other_keys if {
	fs := deny with input as {"kind": "Pod", "metadata": {"name": "p", "annotations": {"container.apparmor.security.beta.kubernetes.io/c": "runtime/default", "container.apparmor.security.beta.kubernetes.io/": "x", "example.com/a": "b"}}, "spec": {"containers": []}}
		with data.settings as api_settings(29)
	count(api_ids("CG7003", fs)) == 0
}

# CG7004 removed-volume-plugin

test_cg7004_fires_on_rbd if {
	fs := deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [], "volumes": [{"name": "v", "rbd": {"image": "x"}}]}}
	{f.path | some f in api_ids("CG7004", fs)} == {["spec", "volumes", 0, "rbd"]}
}

test_cg7004_fires_on_persistent_volume if {
	fs := deny with input as {"kind": "PersistentVolume", "metadata": {"name": "pv"}, "spec": {"glusterfs": {"path": "x"}}}
	count(api_ids("CG7004", fs)) == 1
}

test_cg7004_quiet_before_removal if {
	fs := deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [], "volumes": [{"name": "v", "rbd": {"image": "x"}}]}}
		with data.settings as api_settings(30)
	count(api_ids("CG7004", fs)) == 0
}

# Robustness: odd shapes and odd settings never raise errors.

test_api_odd_shapes_are_quiet if {
	fs := deny with input as {"apiVersion": 5, "kind": ["x"], "metadata": {"annotations": "x"}, "spec": {"volumes": "x"}}
		with data.settings as {"kube_major": "1", "kube_minor": null}
	count(fs) == 0
}
