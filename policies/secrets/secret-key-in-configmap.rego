package confgate.rules.secrets

import data.confgate.lib.k8s
import data.confgate.lib.secrets

deny contains f if {
	input.kind == "ConfigMap"
	some key, value in k8s.map(input.data)
	secrets.name_looks_secret(key)
	not secrets.placeholder(value)
	not secrets.has_credential(value)
	f := {
		"id": "CG4002",
		"msg": sprintf("ConfigMap %q key %q holds what looks like a secret value; ConfigMaps are not meant for secrets", [k8s.name, key]),
		"path": ["data", key],
	}
}
