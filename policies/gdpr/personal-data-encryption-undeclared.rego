package confgate.rules.gdpr

import data.confgate.lib.gdpr
import data.confgate.lib.k8s

deny contains f if {
	count(k8s.pods) > 0
	gdpr.input_personal_data
	why := encryption_undeclared_problem
	f := {
		"id": "CG8002",
		"msg": sprintf("%s %q processes personal data but %s; declare how its data is encrypted at rest with the %s annotation", [input.kind, k8s.name, why, gdpr.encryption_key]),
		"path": gdpr.setting_path(gdpr.encryption_key),
	}
}

encryption_undeclared_problem := "does not say whether its data is encrypted at rest" if {
	not gdpr.setting(input, gdpr.encryption_key)
} else := sprintf("declares %q (no encryption at rest)", [v]) if {
	v := gdpr.setting(input, gdpr.encryption_key)
	lower(trim_space(v)) in gdpr.encryption_negative
} else := "declares not-applicable although it mounts persistent storage" if {
	lower(trim_space(gdpr.setting(input, gdpr.encryption_key))) == "not-applicable"
	gdpr.persistent_storage
}
