package confgate.rules.secrets

import data.confgate.lib.k8s
import data.confgate.lib.secrets

# A well-known credential format in a command or argument.
deny contains f if {
	some c in k8s.containers
	some field in ["command", "args"]
	some i, s in k8s.list(c.container[field])
	secrets.has_credential(s)
	f := {
		"id": "CG4007",
		"msg": sprintf("container %q passes what looks like a %s in %s[%d]; command lines are visible in the manifest and in the node's process list", [k8s.container_name(c), secrets.credential_kind(s), field, i]),
		"path": array.concat(c.path, [field, i]),
	}
}

# A secret-named flag or variable with a literal value inside one argument (a script).
deny contains f if {
	some c in k8s.containers
	some field in ["command", "args"]
	some i, s in k8s.list(c.container[field])
	not secrets.has_credential(s)
	names := secrets.inline_secret_names(s)
	count(names) > 0
	f := {
		"id": "CG4007",
		"msg": sprintf("container %q passes a literal secret to %s in %s[%d]; read it from a mounted Secret file or an environment variable taken from a Secret", [k8s.container_name(c), concat(", ", sort(names)), field, i]),
		"path": array.concat(c.path, [field, i]),
	}
}

# A secret-named flag in one argument and its literal value in the next.
deny contains f if {
	some c in k8s.containers
	some field in ["command", "args"]
	items := k8s.list(c.container[field])
	some i, flag in items
	is_string(flag)
	m := regex.find_all_string_submatch_n(`^--?([A-Za-z][A-Za-z0-9_.-]*)$`, flag, 1)
	count(m) == 1
	secrets.name_looks_secret(m[0][1])
	i + 1 < count(items)
	value := items[i + 1]
	secrets.literal_value(value)
	not secrets.has_credential(value)
	f := {
		"id": "CG4007",
		"msg": sprintf("container %q passes a literal secret to %s in %s[%d]; read it from a mounted Secret file or an environment variable taken from a Secret", [k8s.container_name(c), flag, field, i + 1]),
		"path": array.concat(c.path, [field, i + 1]),
	}
}
