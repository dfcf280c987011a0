package confgate.rules.api

deny contains f if {
	some place in deprecated_annotation_places
	some key, _ in place.annotations
	e := data.confgate.lib.apis.annotation_entry(key)
	data.confgate.lib.apis.reached(e.deprecated)
	f := {
		"id": "CG7003",
		"msg": sprintf("%s %q uses annotation %q, %s; use %s", [input.kind, data.confgate.lib.k8s.name, key, deprecated_annotation_state(e), e.replacement]),
		"path": array.concat(place.path, ["annotations", key]),
	}
}

# The object's own annotations, and those of the pod template of a workload.
deprecated_annotation_places contains {"annotations": data.confgate.lib.k8s.annotations(input), "path": ["metadata"]}

deprecated_annotation_places contains {"annotations": data.confgate.lib.k8s.pod_annotations, "path": data.confgate.lib.k8s.pod_metadata_path} if {
	input.kind != "Pod"
	data.confgate.lib.k8s.pod_metadata_path
}

deprecated_annotation_state(e) := sprintf("which Kubernetes ignores since 1.%d", [e.ignored]) if {
	data.confgate.lib.apis.reached(e.ignored)
} else := sprintf("deprecated since Kubernetes 1.%d", [e.deprecated])
