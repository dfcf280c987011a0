package confgate.rules.gdpr

deny contains f if {
	count(data.confgate.lib.k8s.pods) > 0
	data.confgate.lib.gdpr.input_personal_data
	not data.confgate.lib.gdpr.setting(input, data.confgate.lib.gdpr.retention_key)
	f := {
		"id": "CG8003",
		"msg": sprintf("%s %q processes personal data but declares no retention period; set the %s annotation to an ISO-8601 duration such as P30D", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.gdpr.retention_key]),
		"path": data.confgate.lib.gdpr.setting_path(data.confgate.lib.gdpr.retention_key),
	}
}
