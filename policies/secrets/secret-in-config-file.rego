package confgate.rules.secrets

import data.confgate.lib.k8s
import data.confgate.lib.secrets

deny contains f if {
	input.kind == "ConfigMap"
	some key, value in k8s.map(input.data)
	some hit in secrets.config_file_secrets(value)
	f := {
		"id": "CG4009",
		"msg": sprintf("ConfigMap %q file %q sets %q (line %d) to a random-looking value that is probably a real secret; ConfigMaps are not meant for secrets", [k8s.name, key, hit.key, hit.line]),
		"path": ["data", key],
	}
}
