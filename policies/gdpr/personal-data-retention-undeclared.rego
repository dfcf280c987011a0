package confgate.rules.gdpr

import data.confgate.lib.gdpr
import data.confgate.lib.k8s

deny contains f if {
	count(k8s.pods) > 0
	gdpr.input_personal_data
	not gdpr.setting(input, gdpr.retention_key)
	f := {
		"id": "CG8003",
		"msg": sprintf("%s %q processes personal data but declares no retention period; set the %s annotation to an ISO-8601 duration such as P30D", [input.kind, k8s.name, gdpr.retention_key]),
		"path": gdpr.setting_path(gdpr.retention_key),
	}
}
