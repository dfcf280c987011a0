package confgate.rules.bestpractice

deny contains f if {
	input.kind in data.confgate.lib.governance.service_kinds
	data.confgate.lib.governance.production
	data.confgate.lib.governance.multi_replica
	some p in data.confgate.lib.k8s.pods
	not production_spread_configured(p.spec)
	f := {
		"id": "CG5020",
		"msg": sprintf("%s %q runs several replicas in production without topologySpreadConstraints or pod anti-affinity; they may all land on one node or zone", [input.kind, data.confgate.lib.k8s.name]),
		"path": array.concat(p.path, ["topologySpreadConstraints"]),
	}
}

production_spread_configured(spec) if count(data.confgate.lib.k8s.list(spec.topologySpreadConstraints)) > 0

production_spread_configured(spec) if is_object(spec.affinity.podAntiAffinity)
