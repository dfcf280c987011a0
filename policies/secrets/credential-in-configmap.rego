package confgate.rules.secrets

import data.confgate.lib.k8s
import data.confgate.lib.secrets

deny contains f if {
	input.kind == "ConfigMap"
	some key, value in k8s.map(input.data)
	secrets.has_credential(value)
	f := {
		"id": "CG4001",
		"msg": sprintf("ConfigMap %q key %q contains what looks like a %s; ConfigMaps are not meant for secrets", [k8s.name, key, secrets.credential_kind(value)]),
		"path": ["data", key],
	}
}
