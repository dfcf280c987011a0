package confgate.rules.secrets

deny contains f if {
	input.kind == "ConfigMap"
	some key, value in data.confgate.lib.k8s.map(input.data)
	data.confgate.lib.secrets.has_credential(value)
	f := {
		"id": "CG4001",
		"msg": sprintf("ConfigMap %q key %q contains what looks like a %s; ConfigMaps are not meant for secrets", [data.confgate.lib.k8s.name, key, data.confgate.lib.secrets.credential_kind(value)]),
		"path": ["data", key],
	}
}
