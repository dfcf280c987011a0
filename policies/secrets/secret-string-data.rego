package confgate.rules.secrets

deny contains f if {
	input.kind == "Secret"
	some key, value in data.confgate.lib.k8s.map(input.stringData)
	is_string(value)
	not secret_string_data_placeholder(value)
	# Private keys, kubeconfigs and registry credentials are reported by CG4010.
	not data.confgate.lib.secrets.key_material(object.get(input, "type", "Opaque"), "stringData", key, value)
	f := {
		"id": "CG4004",
		"msg": sprintf("Secret %q carries key %q in plain text (stringData); keep secret values out of manifests", [data.confgate.lib.k8s.name, key]),
		"path": ["stringData", key],
	}
}

# Templated or empty values are filled in at deploy time.
secret_string_data_placeholder(value) if trim_space(value) == ""

secret_string_data_placeholder(value) if regex.match(`^\s*(\$\{|\$\(|\{\{|<[A-Za-z_-]+>\s*$)`, value)
