package confgate.rules.secrets

deny contains f if {
	input.kind == "ConfigMap"
	some key, value in data.confgate.lib.k8s.map(input.data)
	data.confgate.lib.secrets.url_credential(value)
	f := {
		"id": "CG4008",
		"msg": sprintf("ConfigMap %q key %q holds a URL with an embedded password or token; keep connection credentials in a Secret", [data.confgate.lib.k8s.name, key]),
		"path": ["data", key],
	}
}

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some i, env in data.confgate.lib.k8s.list(c.container.env)
	data.confgate.lib.secrets.url_credential(env.value)
	f := {
		"id": "CG4008",
		"msg": sprintf("container %q sets environment variable %q to a URL with an embedded password or token; take the URL from a Secret", [data.confgate.lib.k8s.container_name(c), data.confgate.lib.k8s.text(object.get(env, "name", ""))]),
		"path": array.concat(c.path, ["env", i, "value"]),
	}
}

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	some field in ["command", "args"]
	some i, s in data.confgate.lib.k8s.list(c.container[field])
	data.confgate.lib.secrets.url_credential(s)
	f := {
		"id": "CG4008",
		"msg": sprintf("container %q passes a URL with an embedded password or token in %s[%d]; take the credentials from a Secret", [data.confgate.lib.k8s.container_name(c), field, i]),
		"path": array.concat(c.path, [field, i]),
	}
}

deny contains f if {
	input.kind != "Secret"
	some key, value in data.confgate.lib.k8s.annotations(input)
	key != "kubectl.kubernetes.io/last-applied-configuration"
	data.confgate.lib.secrets.url_credential(value)
	f := {
		"id": "CG4008",
		"msg": sprintf("%s %q annotation %q holds a URL with an embedded password or token; annotations are readable by anyone who can list the object", [input.kind, data.confgate.lib.k8s.name, key]),
		"path": ["metadata", "annotations", key],
	}
}
