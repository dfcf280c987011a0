package confgate.rules.secrets

# A well-known credential format in a command or argument.
deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some field in ["command", "args"]
	some i, s in data.confgate.lib.k8s.list(c.container[field])
	data.confgate.lib.secrets.has_credential(s)
	f := {
		"id": "CG4007",
		"msg": sprintf("container %q passes what looks like a %s in %s[%d]; command lines are visible in the manifest and in the node's process list", [data.confgate.lib.k8s.container_name(c), data.confgate.lib.secrets.credential_kind(s), field, i]),
		"path": array.concat(c.path, [field, i]),
	}
}

# A secret-named flag or variable with a literal value inside one argument (a script).
deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some field in ["command", "args"]
	some i, s in data.confgate.lib.k8s.list(c.container[field])
	not data.confgate.lib.secrets.has_credential(s)
	names := data.confgate.lib.secrets.inline_secret_names(s)
	count(names) > 0
	f := {
		"id": "CG4007",
		"msg": sprintf("container %q passes a literal secret to %s in %s[%d]; read it from a mounted Secret file or an environment variable taken from a Secret", [data.confgate.lib.k8s.container_name(c), concat(", ", sort(names)), field, i]),
		"path": array.concat(c.path, [field, i]),
	}
}

# A secret-named flag in one argument and its literal value in the next.
deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some field in ["command", "args"]
	items := data.confgate.lib.k8s.list(c.container[field])
	some i, flag in items
	is_string(flag)
	m := regex.find_all_string_submatch_n(`^--?([A-Za-z][A-Za-z0-9_.-]*)$`, flag, 1)
	count(m) == 1
	data.confgate.lib.secrets.name_looks_secret(m[0][1])
	i + 1 < count(items)
	value := items[i + 1]
	data.confgate.lib.secrets.literal_value(value)
	not data.confgate.lib.secrets.has_credential(value)
	f := {
		"id": "CG4007",
		"msg": sprintf("container %q passes a literal secret to %s in %s[%d]; read it from a mounted Secret file or an environment variable taken from a Secret", [data.confgate.lib.k8s.container_name(c), flag, field, i + 1]),
		"path": array.concat(c.path, [field, i + 1]),
	}
}
