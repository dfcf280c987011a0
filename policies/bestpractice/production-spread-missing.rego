package confgate.rules.bestpractice

import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

deny contains f if {
	input.kind in gov.service_kinds
	gov.production
	gov.multi_replica
	some p in k8s.pods
	not production_spread_configured(p.spec)
	f := {
		"id": "CG5020",
		"msg": sprintf("%s %q runs several replicas in production without topologySpreadConstraints or pod anti-affinity; they may all land on one node or zone", [input.kind, k8s.name]),
		"path": array.concat(p.path, ["topologySpreadConstraints"]),
	}
}

production_spread_configured(spec) if count(k8s.list(spec.topologySpreadConstraints)) > 0

production_spread_configured(spec) if is_object(spec.affinity.podAntiAffinity)
