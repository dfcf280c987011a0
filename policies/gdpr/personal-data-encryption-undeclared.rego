package confgate.rules.gdpr

deny contains f if {
	count(data.confgate.lib.k8s.pods) > 0
	data.confgate.lib.gdpr.input_personal_data
	why := encryption_undeclared_problem
	f := {
		"id": "CG8002",
		"msg": sprintf("%s %q processes personal data but %s; declare how its data is encrypted at rest with the %s annotation", [input.kind, data.confgate.lib.k8s.name, why, data.confgate.lib.gdpr.encryption_key]),
		"path": data.confgate.lib.gdpr.setting_path(data.confgate.lib.gdpr.encryption_key),
	}
}

encryption_undeclared_problem := "does not say whether its data is encrypted at rest" if {
	not data.confgate.lib.gdpr.setting(input, data.confgate.lib.gdpr.encryption_key)
} else := sprintf("declares %q (no encryption at rest)", [v]) if {
	v := data.confgate.lib.gdpr.setting(input, data.confgate.lib.gdpr.encryption_key)
	lower(trim_space(v)) in data.confgate.lib.gdpr.encryption_negative
} else := "declares not-applicable although it mounts persistent storage" if {
	lower(trim_space(data.confgate.lib.gdpr.setting(input, data.confgate.lib.gdpr.encryption_key))) == "not-applicable"
	data.confgate.lib.gdpr.persistent_storage
}
