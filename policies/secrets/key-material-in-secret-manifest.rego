package confgate.rules.secrets

deny contains f if {
	input.kind == "Secret"
	not data.confgate.lib.secrets.live_object(input)
	type := object.get(input, "type", "Opaque")
	some field in ["data", "stringData"]
	some key, value in data.confgate.lib.k8s.map(input[field])
	what := data.confgate.lib.secrets.key_material(type, field, key, value)
	f := {
		"id": "CG4010",
		"msg": sprintf("Secret %q key %q holds %s in the manifest; whoever can read the repository can use it", [data.confgate.lib.k8s.name, key, what]),
		"path": [field, key],
	}
}
