package confgate.rules.gdpr

# Unit tests for the GDPR data-governance rules. Run with `confgate policy test --run gdpr`.

gd_ids(id, fs) := {f | some f in fs; f.id == id}

gd_paths(id, fs) := {f.path | some f in fs; f.id == id}

gd_pd := {"confgate.io/personal-data": "true"}

gd_deploy(labels, annotations, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "accounts", "namespace": "shop", "labels": labels, "annotations": annotations},
	"spec": {"selector": {"matchLabels": {"app": "accounts"}}, "template": {"metadata": {"labels": {"app": "accounts"}}, "spec": spec}},
}

gd_ok_annotations := {"confgate.io/encryption-at-rest": "kms", "confgate.io/data-retention": "P30D"}

gd_container := {"name": "accounts", "image": "example/accounts:1.0.0"}

gd_svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "accounts", "namespace": "shop"}, "spec": {"selector": {"app": "accounts"}}}

gd_inv(objs) := {"cluster": {}, "namespace": {"shop": {"v1": {sprintf("%s", [o.kind]): {o.metadata.name: o} | some o in objs}}}}

gd_ingress(spec) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "accounts", "namespace": "shop"}, "spec": spec}

gd_rule(host) := {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "accounts", "port": {"number": 80}}}}]}}

# CG8001 personal-data-ingress-without-tls

test_cg8001_fires_without_tls if {
	d := gd_deploy(gd_pd, gd_ok_annotations, {"containers": [gd_container]})
	fs := deny with input as gd_ingress({"rules": [gd_rule("accounts.example.com")]})
		with data.inventory as gd_inv([d, gd_svc])
	gd_paths("CG8001", fs) == {["spec", "rules", 0, "host"]}
}

test_cg8001_fires_on_uncovered_host if {
	d := gd_deploy(gd_pd, gd_ok_annotations, {"containers": [gd_container]})
	fs := deny with input as gd_ingress({"tls": [{"hosts": ["www.example.com"]}], "rules": [gd_rule("accounts.example.com")]})
		with data.inventory as gd_inv([d, gd_svc])
	count(gd_ids("CG8001", fs)) == 1
}

test_cg8001_quiet_with_tls_or_without_personal_data if {
	d := gd_deploy(gd_pd, gd_ok_annotations, {"containers": [gd_container]})
	tls := deny with input as gd_ingress({"tls": [{"hosts": ["*.example.com"]}], "rules": [gd_rule("accounts.example.com")]})
		with data.inventory as gd_inv([d, gd_svc])
	count(gd_ids("CG8001", tls)) == 0
	plain := gd_deploy({}, {}, {"containers": [gd_container]})
	nopd := deny with input as gd_ingress({"rules": [gd_rule("accounts.example.com")]})
		with data.inventory as gd_inv([plain, gd_svc])
	count(gd_ids("CG8001", nopd)) == 0
}

# CG8002 personal-data-encryption-undeclared

test_cg8002_fires_without_annotation if {
	fs := deny with input as gd_deploy(gd_pd, {"confgate.io/data-retention": "P30D"}, {"containers": [gd_container]})
	gd_paths("CG8002", fs) == {["metadata", "annotations", "confgate.io/encryption-at-rest"]}
}

test_cg8002_fires_on_not_applicable_with_pvc if {
	spec := {"containers": [gd_container], "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "d"}}]}
	fs := deny with input as gd_deploy(gd_pd, {"confgate.io/encryption-at-rest": "not-applicable", "confgate.io/data-retention": "P30D"}, spec)
	some f in gd_ids("CG8002", fs)
	contains(f.msg, "persistent storage")
}

test_cg8002_quiet_when_declared_or_not_personal if {
	fs := deny with input as gd_deploy(gd_pd, gd_ok_annotations, {"containers": [gd_container]})
	count(gd_ids("CG8002", fs)) == 0
	np := deny with input as gd_deploy({"confgate.io/personal-data": "false"}, {}, {"containers": [gd_container]})
	count(np) == 0
}

test_cg8002_reads_namespace if {
	ns := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": gd_pd, "annotations": gd_ok_annotations}}
	fs := deny with input as gd_deploy({}, {}, {"containers": [gd_container]})
		with data.inventory as {"cluster": {"v1": {"Namespace": {"shop": ns}}}, "namespace": {}}
	count(gd_ids("CG8002", fs)) + count(gd_ids("CG8003", fs)) == 0
	count(gd_ids("CG8007", fs)) == 1
}

# CG8003 personal-data-retention-undeclared

test_cg8003_fires_without_retention if {
	fs := deny with input as gd_deploy(gd_pd, {"confgate.io/encryption-at-rest": "kms"}, {"containers": [gd_container]})
	gd_paths("CG8003", fs) == {["metadata", "annotations", "confgate.io/data-retention"]}
}

test_cg8003_quiet_with_retention_on_pod_template if {
	d := gd_deploy(gd_pd, {"confgate.io/encryption-at-rest": "kms"}, {"containers": [gd_container]})
	fs := deny with input as object.union(d, {"spec": {"template": {"metadata": {"annotations": {"confgate.io/data-retention": "P1Y"}}}}})
	count(gd_ids("CG8003", fs)) == 0
}

# CG8004 eu-residency-unconstrained

test_cg8004_fires_without_constraint if {
	fs := deny with input as gd_deploy({"confgate.io/data-residency": "eu"}, {}, {"containers": [gd_container]})
	some f in gd_ids("CG8004", fs)
	f.path == ["spec", "template", "spec", "nodeSelector"]
	contains(f.msg, "nothing restricts")
}

test_cg8004_fires_on_mixed_affinity if {
	aff := {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/region", "operator": "In", "values": ["eu-west-1", "us-east-1"]}]}]}}}
	fs := deny with input as gd_deploy({"confgate.io/data-residency": "eu"}, {}, {"containers": [gd_container], "affinity": aff})
	gd_paths("CG8004", fs) == {["spec", "template", "spec", "affinity"]}
}

test_cg8004_quiet_when_pinned_to_eu if {
	sel := deny with input as gd_deploy({"confgate.io/data-residency": "eu"}, {}, {"containers": [gd_container], "nodeSelector": {"topology.kubernetes.io/zone": "westeurope-1"}})
	count(gd_ids("CG8004", sel)) == 0
	ns := {"kind": "Namespace", "metadata": {"name": "shop", "annotations": {"scheduler.alpha.kubernetes.io/node-selector": "topology.kubernetes.io/region=europe-west3"}}}
	byns := deny with input as gd_deploy({"confgate.io/data-residency": "eu"}, {}, {"containers": [gd_container]})
		with data.inventory as {"cluster": {"v1": {"Namespace": {"shop": ns}}}, "namespace": {}}
	count(gd_ids("CG8004", byns)) == 0
}

# CG8005 personal-data-unencrypted-storage

gd_sc(params, provisioner) := {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}, "provisioner": provisioner, "parameters": params}

gd_pvc := {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}

test_cg8005_fires_on_default_unencrypted_class if {
	spec := {"containers": [gd_container], "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}
	fs := deny with input as gd_deploy(gd_pd, gd_ok_annotations, spec)
		with data.inventory as {"cluster": {"storage.k8s.io/v1": {"StorageClass": {"standard": gd_sc({"type": "gp3"}, "ebs.csi.aws.com")}}}, "namespace": {"shop": {"v1": {"PersistentVolumeClaim": {"data": gd_pvc}}}}}
	gd_paths("CG8005", fs) == {["spec", "template", "spec", "volumes", 0, "persistentVolumeClaim"]}
}

test_cg8005_quiet_on_encrypted_or_unknown_class if {
	spec := {"containers": [gd_container], "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}
	enc := deny with input as gd_deploy(gd_pd, gd_ok_annotations, spec)
		with data.inventory as {"cluster": {"storage.k8s.io/v1": {"StorageClass": {"standard": gd_sc({"type": "gp3", "encrypted": "true"}, "ebs.csi.aws.com")}}}, "namespace": {"shop": {"v1": {"PersistentVolumeClaim": {"data": gd_pvc}}}}}
	count(gd_ids("CG8005", enc)) == 0
	gke := deny with input as gd_deploy(gd_pd, gd_ok_annotations, spec)
		with data.inventory as {"cluster": {"storage.k8s.io/v1": {"StorageClass": {"standard": gd_sc({}, "pd.csi.storage.gke.io")}}}, "namespace": {"shop": {"v1": {"PersistentVolumeClaim": {"data": gd_pvc}}}}}
	count(gd_ids("CG8005", gke)) == 0
	unknown := deny with input as gd_deploy(gd_pd, gd_ok_annotations, spec)
	count(gd_ids("CG8005", unknown)) == 0
}

# CG8006 personal-data-debug-logging

test_cg8006_fires_on_debug_env_and_arg if {
	c := object.union(gd_container, {"env": [{"name": "APP_LOG_LEVEL", "value": "DEBUG"}], "args": ["--log-level=trace"]})
	fs := deny with input as gd_deploy(gd_pd, gd_ok_annotations, {"containers": [c]})
	gd_paths("CG8006", fs) == {
		["spec", "template", "spec", "containers", 0, "env", 0, "value"],
		["spec", "template", "spec", "containers", 0, "args", 0],
	}
}

test_cg8006_quiet_on_info_or_without_personal_data if {
	c := object.union(gd_container, {"env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "RUST_LOG", "value": "warn,hyper=info"}]})
	fs := deny with input as gd_deploy(gd_pd, gd_ok_annotations, {"containers": [c]})
	count(gd_ids("CG8006", fs)) == 0
	d := object.union(gd_container, {"env": [{"name": "LOG_LEVEL", "value": "debug"}]})
	np := deny with input as gd_deploy({}, {}, {"containers": [d]})
	count(gd_ids("CG8006", np)) == 0
}

# CG8007 personal-data-not-isolated

test_cg8007_fires_without_policy if {
	fs := deny with input as gd_deploy(gd_pd, gd_ok_annotations, {"containers": [gd_container]})
	gd_paths("CG8007", fs) == {["spec", "template", "metadata", "labels"]}
}

test_cg8007_quiet_with_selecting_policy if {
	np := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "shop"}, "spec": {"podSelector": {}}}
	fs := deny with input as gd_deploy(gd_pd, gd_ok_annotations, {"containers": [gd_container]})
		with data.inventory as {"cluster": {}, "namespace": {"shop": {"networking.k8s.io/v1": {"NetworkPolicy": {"deny": np}}}}}
	count(gd_ids("CG8007", fs)) == 0
}

test_cg8007_fires_with_egress_only_policy if {
	np := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "egress", "namespace": "shop"}, "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
	fs := deny with input as gd_deploy(gd_pd, gd_ok_annotations, {"containers": [gd_container]})
		with data.inventory as {"cluster": {}, "namespace": {"shop": {"networking.k8s.io/v1": {"NetworkPolicy": {"egress": np}}}}}
	count(gd_ids("CG8007", fs)) == 1
}

# CG8008 gdpr-label-invalid

test_cg8008_fires_on_bad_values if {
	d := gd_deploy({"confgate.io/personal-data": "yes", "confgate.io/data-residency": "EU-only"}, {"confgate.io/data-retention": "30 days", "confgate.io/encryption-at-rest": " "}, {"containers": [gd_container]})
	fs := deny with input as d
	gd_paths("CG8008", fs) == {
		["metadata", "labels", "confgate.io/personal-data"],
		["metadata", "labels", "confgate.io/data-residency"],
		["metadata", "annotations", "confgate.io/data-retention"],
		["metadata", "annotations", "confgate.io/encryption-at-rest"],
	}
}

test_cg8008_quiet_on_valid_values if {
	d := gd_deploy({"confgate.io/personal-data": "false", "confgate.io/data-residency": "unrestricted"}, {"confgate.io/data-retention": "PT720H", "confgate.io/encryption-at-rest": "provider-managed"}, {"containers": [gd_container]})
	fs := deny with input as d
	count(gd_ids("CG8008", fs)) == 0
}

test_iso_durations if {
	every v in ["P30D", "P1Y6M", "P2W", "PT720H", "P1DT12H", "PT0.5S"] {
		data.confgate.lib.gdpr.iso_duration(v)
	}
	every v in ["P", "PT", "30D", "P1.5Y", "P1DT", "", "p30d"] {
		not data.confgate.lib.gdpr.iso_duration(v)
	}
}

# Robustness: odd shapes never raise errors.

test_gdpr_odd_shapes_are_quiet if {
	fs := deny with input as {"kind": "Deployment", "metadata": {"name": "x", "labels": {"confgate.io/personal-data": "true"}, "annotations": {"confgate.io/encryption-at-rest": "kms", "confgate.io/data-retention": "P1D"}}, "spec": {"template": {"metadata": {"labels": "x"}, "spec": {"nodeSelector": "x", "affinity": 3, "volumes": [{"persistentVolumeClaim": {"claimName": 1}}], "containers": [{"name": "c", "env": [{"name": "LOG_LEVEL", "value": 1}], "args": [2]}]}}}}
	count(gd_ids("CG8006", fs)) + count(gd_ids("CG8005", fs)) == 0
}
