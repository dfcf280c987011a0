package confgate.rules.gdpr

deny contains f if {
	some place in label_invalid_places
	some field in ["labels", "annotations"]
	some key, value in data.confgate.lib.k8s.map(object.get(place.metadata, field, {}))
	key in data.confgate.lib.gdpr.keys
	problem := label_invalid_problem(key, value)
	f := {
		"id": "CG8008",
		"msg": sprintf("%s %q sets %s to %q, %s; the GDPR rules ignore it", [input.kind, data.confgate.lib.k8s.name, key, data.confgate.lib.k8s.text(value), problem]),
		"path": array.concat(place.path, [field, key]),
	}
}

# The object's metadata, and its pod template's.
label_invalid_places contains {"metadata": m, "path": ["metadata"]} if {
	m := input.metadata
	is_object(m)
}

label_invalid_places contains {"metadata": m, "path": data.confgate.lib.k8s.pod_metadata_path} if {
	input.kind != "Pod"
	m := data.confgate.lib.gdpr.template_metadata(input)
	count(m) > 0
}

label_invalid_problem(key, value) := "which is not a string" if {
	not is_string(value)
} else := "which is neither \"true\" nor \"false\"" if {
	key == data.confgate.lib.gdpr.personal_data_key
	not lower(value) in {"true", "false"}
} else := "which is neither \"eu\" nor \"unrestricted\"" if {
	key == data.confgate.lib.gdpr.residency_key
	not lower(value) in {"eu", "unrestricted"}
} else := "which is empty" if {
	key == data.confgate.lib.gdpr.encryption_key
	trim_space(value) == ""
} else := "which is not an ISO-8601 duration such as P30D, P6M or P1Y" if {
	key == data.confgate.lib.gdpr.retention_key
	not data.confgate.lib.gdpr.iso_duration(value)
}
