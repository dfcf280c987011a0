package confgate.rules.bestpractice

import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

deny contains f if {
	input.kind == "PodDisruptionBudget"
	v := input.spec.maxUnavailable
	v in {0, "0", "0%"}
	f := {
		"id": "CG5017",
		"msg": sprintf("PodDisruptionBudget %q sets maxUnavailable: %v; no pod it selects can ever be evicted, so node drains and upgrades hang", [k8s.name, v]),
		"path": ["spec", "maxUnavailable"],
	}
}

deny contains f if {
	input.kind == "PodDisruptionBudget"
	input.spec.minAvailable == "100%"
	f := {
		"id": "CG5017",
		"msg": sprintf("PodDisruptionBudget %q sets minAvailable: 100%%; no pod it selects can ever be evicted, so node drains and upgrades hang", [k8s.name]),
		"path": ["spec", "minAvailable"],
	}
}

deny contains f if {
	input.kind == "PodDisruptionBudget"
	n := input.spec.minAvailable
	is_number(n)
	n > 0
	selected := [w |
		some w in gov.workloads(k8s.namespace)
		w.kind in {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
		gov.selector_matches(input.spec.selector, gov.pod_labels(w))
	]
	count(selected) > 0
	# Every selected workload has a fixed replica count (no autoscaler moves it).
	fixed := [r |
		some w in selected
		r := object.get(w, ["spec", "replicas"], 1)
		is_number(r)
		count(gov.autoscalers(k8s.namespace, w.kind, object.get(w, ["metadata", "name"], ""))) == 0
	]
	count(fixed) == count(selected)
	total := sum(fixed)
	n >= total
	f := {
		"id": "CG5017",
		"msg": sprintf("PodDisruptionBudget %q requires %v pods available but the workloads it selects (%s) run %v in all; none of their pods can be evicted, so node drains and upgrades hang", [k8s.name, n, pdb_disallows_names(selected), total]),
		"path": ["spec", "minAvailable"],
	}
}

pdb_disallows_names(ws) := concat(", ", sort([sprintf("%s %s", [k8s.text(object.get(w, "kind", "")), k8s.text(object.get(w, ["metadata", "name"], ""))]) | some w in ws]))
