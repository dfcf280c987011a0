package confgate.rules.bestpractice

# A selector must select the pods of the object's own template: the API server rejects a
# Deployment, ReplicaSet, StatefulSet or DaemonSet (apps/v1) whose selector does not match its
# template's labels ("selector does not match template labels"), and the controllers of the
# other kinds with a template would never find their own pods. A template without labels
# matches no non-empty selector.
deny contains f if {
	input.kind in selector_template_kinds
	not is_object(input.spec.workloadRef)
	sel := input.spec.selector
	is_object(sel)
	count(data.confgate.lib.k8s.map(object.get(sel, "matchLabels", {}))) + count(data.confgate.lib.k8s.list(object.get(sel, "matchExpressions", []))) > 0
	labels := selector_template_labels
	not data.confgate.lib.governance.selector_matches(sel, labels)
	f := {
		"id": "CG5018",
		"msg": sprintf("%s %q has a selector that matches none of its own pod template's labels (%s); %s", [input.kind, data.confgate.lib.k8s.name, selector_template_label_text(labels), selector_template_consequence]),
		"path": ["spec", "selector"],
	}
}

# OpenShift's DeploymentConfig (like a ReplicationController) has a plain label map as selector.
deny contains f if {
	input.kind == "DeploymentConfig"
	sel := input.spec.selector
	is_object(sel)
	count(sel) > 0
	labels := selector_template_labels
	not data.confgate.lib.governance.map_selector_matches(sel, labels)
	f := {
		"id": "CG5018",
		"msg": sprintf("DeploymentConfig %q has a selector that matches none of its own pod template's labels (%s); its pods would never be counted as its own", [data.confgate.lib.k8s.name, selector_template_label_text(labels)]),
		"path": ["spec", "selector"],
	}
}

selector_template_kinds := {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Rollout", "CloneSet"}

# The template's labels ({} when it has none). A Rollout with workloadRef has no template.
selector_template_labels := l if {
	tpl := data.confgate.lib.k8s.template_metadata_of(input)
	l := data.confgate.lib.k8s.map(object.get(tpl, "labels", {}))
	is_object(l)
}

selector_template_label_text(labels) := "it has none" if {
	count(labels) == 0
} else := concat(", ", sort([sprintf("%s=%s", [k, data.confgate.lib.k8s.text(v)]) | some k, v in labels]))

selector_template_consequence := "the API server rejects it" if {
	input.kind in {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}
} else := "its controller would never find its own pods"
