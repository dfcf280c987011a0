package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Parameter required_labels: every object must carry these labels (owner, cost centre, ...),
# with a value. One finding per missing label.
deny contains f if {
	some name in lib.string_list(lib.param("required_labels"))
	not is_string(object.get(k8s.labels(input), name, null))
	f := {
		"id": "required-labels",
		"msg": sprintf("%s %q has no label %q; %s requires it on every object", [k8s.text(object.get(input, "kind", "object")), k8s.name, name, lib.environment_label]),
		"path": lib.nearest_path(input, [], ["metadata", "labels"]),
	}
}

deny contains f if {
	some name in lib.string_list(lib.param("required_labels"))
	value := object.get(k8s.labels(input), name, null)
	is_string(value)
	trim_space(value) == ""
	f := {
		"id": "required-labels",
		"msg": sprintf("%s %q has an empty label %q; %s requires it with a value", [k8s.text(object.get(input, "kind", "object")), k8s.name, name, lib.environment_label]),
		"path": ["metadata", "labels", name],
	}
}
