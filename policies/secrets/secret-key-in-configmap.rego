package confgate.rules.secrets

deny contains f if {
	input.kind == "ConfigMap"
	some key, value in data.confgate.lib.k8s.map(input.data)
	data.confgate.lib.secrets.name_looks_secret(key)
	not data.confgate.lib.secrets.placeholder(value)
	not data.confgate.lib.secrets.has_credential(value)
	f := {
		"id": "CG4002",
		"msg": sprintf("ConfigMap %q key %q holds what looks like a secret value; ConfigMaps are not meant for secrets", [data.confgate.lib.k8s.name, key]),
		"path": ["data", key],
	}
}
