package confgate.business

# Parameter required_labels: every object must carry these labels (owner, cost centre, ...),
# with a value. One finding per missing label.
deny contains f if {
	some name in data.confgate.business.lib.string_list(data.confgate.business.lib.param("required_labels"))
	not is_string(object.get(data.confgate.lib.k8s.labels(input), name, null))
	f := {
		"id": "required-labels",
		"msg": sprintf("%s %q has no label %q; %s requires it on every object", [data.confgate.lib.k8s.text(object.get(input, "kind", "object")), data.confgate.lib.k8s.name, name, data.confgate.business.lib.environment_label]),
		"path": data.confgate.business.lib.nearest_path(input, [], ["metadata", "labels"]),
	}
}

deny contains f if {
	some name in data.confgate.business.lib.string_list(data.confgate.business.lib.param("required_labels"))
	value := object.get(data.confgate.lib.k8s.labels(input), name, null)
	is_string(value)
	trim_space(value) == ""
	f := {
		"id": "required-labels",
		"msg": sprintf("%s %q has an empty label %q; %s requires it with a value", [data.confgate.lib.k8s.text(object.get(input, "kind", "object")), data.confgate.lib.k8s.name, name, data.confgate.business.lib.environment_label]),
		"path": ["metadata", "labels", name],
	}
}
