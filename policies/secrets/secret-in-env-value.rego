package confgate.rules.secrets

import data.confgate.lib.k8s
import data.confgate.lib.secrets

deny contains f if {
	some c in k8s.containers
	some i, env in k8s.list(c.container.env)
	secrets.name_looks_secret(env.name)
	value := env.value
	is_string(value)
	not secrets.placeholder(value)
	not secrets.has_credential(value)
	f := {
		"id": "CG4003",
		"msg": sprintf("container %q sets environment variable %q to a literal secret; take it from a Secret instead", [k8s.container_name(c), env.name]),
		"path": array.concat(c.path, ["env", i, "value"]),
	}
}

deny contains f if {
	some c in k8s.containers
	some i, env in k8s.list(c.container.env)
	secrets.has_credential(env.value)
	f := {
		"id": "CG4003",
		"msg": sprintf("container %q sets environment variable %q to what looks like a %s; take it from a Secret instead", [k8s.container_name(c), k8s.text(object.get(env, "name", "")), secrets.credential_kind(env.value)]),
		"path": array.concat(c.path, ["env", i, "value"]),
	}
}
