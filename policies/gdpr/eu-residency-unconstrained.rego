package confgate.rules.gdpr

deny contains f if {
	data.confgate.lib.gdpr.eu_resident(input)
	some p in data.confgate.lib.k8s.pods
	not residency_constrained(p.spec)
	f := {
		"id": "CG8004",
		"msg": sprintf("%s %q must keep its data in the EU but %s; its pods may run, and its data may be processed, outside the EU", [input.kind, data.confgate.lib.k8s.name, residency_problem(p.spec)]),
		"path": residency_path(p),
	}
}

# (Each branch ends in a test on a bound variable: regorus's VM does not fall through to
# `else` when a branch ends in a test of an undefined reference.)
residency_path(p) := array.concat(p.path, ["nodeSelector"]) if {
	v := object.get(p.spec, "nodeSelector", null)
	is_object(v)
} else := array.concat(p.path, ["affinity"]) if {
	v := object.get(p.spec, "affinity", null)
	is_object(v)
} else := array.concat(p.path, ["nodeSelector"])

residency_problem(spec) := sprintf("its nodeSelector pins %s to %q", [outside[0][0], outside[0][1]]) if {
	outside := sort([[k, data.confgate.lib.k8s.text(v)] |
		some k in data.confgate.lib.gdpr.location_keys
		v := object.get(data.confgate.lib.k8s.map(spec.nodeSelector), k, null)
		v != null
		not data.confgate.lib.gdpr.eu_location(v)
	])
	count(outside) > 0
} else := "its node affinity allows regions or zones outside the EU" if {
	v := object.get(spec, ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"], null)
	is_object(v)
} else := "nothing restricts its pods to EU regions or zones"

# The pod can only be scheduled in EU regions or zones: by its nodeSelector, by every term of
# its required node affinity, or by the namespace's node selector (PodNodeSelector).
residency_constrained(spec) if {
	some k in data.confgate.lib.gdpr.location_keys
	data.confgate.lib.gdpr.eu_location(data.confgate.lib.k8s.map(spec.nodeSelector)[k])
	not residency_selector_conflict(spec)
}

residency_constrained(spec) if {
	not residency_selector_conflict(spec)
	terms := spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
	is_array(terms)
	count(terms) > 0
	count([t | some t in terms; residency_term_eu(t)]) == count(terms)
}

residency_constrained(spec) if {
	not residency_selector_conflict(spec)
	sel := data.confgate.lib.k8s.annotations(data.confgate.lib.governance.namespace_object(data.confgate.lib.k8s.namespace))["scheduler.alpha.kubernetes.io/node-selector"]
	is_string(sel)
	some pair in split(sel, ",")
	kv := split(trim_space(pair), "=")
	count(kv) == 2
	kv[0] in data.confgate.lib.gdpr.location_keys
	data.confgate.lib.gdpr.eu_location(kv[1])
}

# The nodeSelector names a location outside the EU (which no affinity can undo).
# (The value is taken with object.get and tested against null before the `not`: regorus's
# VM lets a `not` succeed after an assignment from an undefined reference.)
residency_selector_conflict(spec) if {
	some k in data.confgate.lib.gdpr.location_keys
	v := object.get(data.confgate.lib.k8s.map(spec.nodeSelector), k, null)
	v != null
	not data.confgate.lib.gdpr.eu_location(v)
}

residency_term_eu(t) if {
	some e in data.confgate.lib.k8s.list(t.matchExpressions)
	e.key in data.confgate.lib.gdpr.location_keys
	e.operator == "In"
	values := data.confgate.lib.k8s.list(e.values)
	count(values) > 0
	count([v | some v in values; data.confgate.lib.gdpr.eu_location(v)]) == count(values)
}
