package confgate.rules.secrets

import data.confgate.lib.k8s
import data.confgate.lib.secrets

deny contains f if {
	some key, value in k8s.annotations(input)
	secrets.has_credential(value)
	f := {
		"id": "CG4006",
		"msg": sprintf("%s %q annotation %q contains what looks like a %s; annotations are readable by anyone who can list the object", [input.kind, k8s.name, key, secrets.credential_kind(value)]),
		"path": ["metadata", "annotations", key],
	}
}
