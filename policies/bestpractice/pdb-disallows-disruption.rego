package confgate.rules.bestpractice

deny contains f if {
	input.kind == "PodDisruptionBudget"
	v := input.spec.maxUnavailable
	v in {0, "0", "0%"}
	f := {
		"id": "CG5017",
		"msg": sprintf("PodDisruptionBudget %q sets maxUnavailable: %v; no pod it selects can ever be evicted, so node drains and upgrades hang", [data.confgate.lib.k8s.name, v]),
		"path": ["spec", "maxUnavailable"],
	}
}

deny contains f if {
	input.kind == "PodDisruptionBudget"
	input.spec.minAvailable == "100%"
	f := {
		"id": "CG5017",
		"msg": sprintf("PodDisruptionBudget %q sets minAvailable: 100%%; no pod it selects can ever be evicted, so node drains and upgrades hang", [data.confgate.lib.k8s.name]),
		"path": ["spec", "minAvailable"],
	}
}

# minAvailable reaches the pods the selected workloads run: in all (fixed replica counts), or
# at the least an autoscaler may leave (its minReplicas), after which no pod can be evicted.
deny contains f if {
	input.kind == "PodDisruptionBudget"
	n := input.spec.minAvailable
	is_number(n)
	n > 0
	selected := [w |
		some w in data.confgate.lib.governance.workloads(data.confgate.lib.k8s.namespace)
		w.kind in data.confgate.lib.governance.scalable_kinds
		data.confgate.lib.governance.selector_matches(input.spec.selector, data.confgate.lib.governance.pod_labels(w))
	]
	count(selected) > 0
	lows := [low |
		some w in selected
		low := pdb_disallows_lowest(w)
	]
	count(lows) == count(selected)
	total := sum([low.pods | some low in lows])
	total >= 1
	n >= total
	f := {
		"id": "CG5017",
		"msg": pdb_disallows_msg(n, selected, lows, total),
		"path": ["spec", "minAvailable"],
	}
}

# The fewest pods workload `w` may run: {"pods", "hpa"}, hpa naming the autoscaler that may
# scale it down that far ("" for a fixed replica count).
pdb_disallows_lowest(w) := {"pods": m, "hpa": concat(", ", sort([data.confgate.lib.k8s.text(object.get(h, ["metadata", "name"], "")) | some h in hpas]))} if {
	hpas := data.confgate.lib.governance.autoscalers(data.confgate.lib.k8s.namespace, w.kind, object.get(w, ["metadata", "name"], ""))
	count(hpas) > 0
	m := min([data.confgate.lib.governance.hpa_min(h) | some h in hpas])
	is_number(m)
} else := {"pods": r, "hpa": ""} if {
	r := object.get(w, ["spec", "replicas"], 1)
	is_number(r)
}

pdb_disallows_msg(n, selected, lows, total) := sprintf("PodDisruptionBudget %q requires %v pods available but the workloads it selects (%s) run %v in all; none of their pods can be evicted, so node drains and upgrades hang", [data.confgate.lib.k8s.name, n, pdb_disallows_names(selected), total]) if {
	count([low | some low in lows; low.hpa != ""]) == 0
} else := sprintf("PodDisruptionBudget %q requires %v pods available but the workloads it selects (%s) may be scaled down to %v in all by HorizontalPodAutoscaler %s (minReplicas); from then on none of their pods can be evicted, so node drains and upgrades hang", [data.confgate.lib.k8s.name, n, pdb_disallows_names(selected), total, concat(", ", sort([low.hpa | some low in lows; low.hpa != ""]))])

pdb_disallows_names(ws) := concat(", ", sort([sprintf("%s %s", [data.confgate.lib.k8s.text(object.get(w, "kind", "")), data.confgate.lib.k8s.text(object.get(w, ["metadata", "name"], ""))]) | some w in ws]))
