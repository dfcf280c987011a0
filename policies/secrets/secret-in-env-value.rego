package confgate.rules.secrets

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some i, env in data.confgate.lib.k8s.list(c.container.env)
	data.confgate.lib.secrets.name_looks_secret(env.name)
	value := env.value
	is_string(value)
	not data.confgate.lib.secrets.placeholder(value)
	not data.confgate.lib.secrets.has_credential(value)
	f := {
		"id": "CG4003",
		"msg": sprintf("container %q sets environment variable %q to a literal secret; take it from a Secret instead", [data.confgate.lib.k8s.container_name(c), env.name]),
		"path": array.concat(c.path, ["env", i, "value"]),
	}
}

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some i, env in data.confgate.lib.k8s.list(c.container.env)
	data.confgate.lib.secrets.has_credential(env.value)
	f := {
		"id": "CG4003",
		"msg": sprintf("container %q sets environment variable %q to what looks like a %s; take it from a Secret instead", [data.confgate.lib.k8s.container_name(c), data.confgate.lib.k8s.text(object.get(env, "name", "")), data.confgate.lib.secrets.credential_kind(env.value)]),
		"path": array.concat(c.path, ["env", i, "value"]),
	}
}
