package confgate.rules.bestpractice

import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

deny contains f if {
	input.kind in {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}
	sel := input.spec.selector
	is_object(sel)
	count(k8s.map(object.get(sel, "matchLabels", {}))) + count(k8s.list(object.get(sel, "matchExpressions", []))) > 0
	labels := input.spec.template.metadata.labels
	is_object(labels)
	not gov.selector_matches(sel, labels)
	f := {
		"id": "CG5018",
		"msg": sprintf("%s %q has a selector that does not match its pod template's labels; the API server rejects it", [input.kind, k8s.name]),
		"path": ["spec", "selector"],
	}
}
