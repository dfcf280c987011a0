package confgate.rules.secrets

deny contains f if {
	some key, value in data.confgate.lib.k8s.annotations(input)
	data.confgate.lib.secrets.has_credential(value)
	f := {
		"id": "CG4006",
		"msg": sprintf("%s %q annotation %q contains what looks like a %s; annotations are readable by anyone who can list the object", [input.kind, data.confgate.lib.k8s.name, key, data.confgate.lib.secrets.credential_kind(value)]),
		"path": ["metadata", "annotations", key],
	}
}
