package confgate.rules.gdpr

deny contains f if {
	data.confgate.lib.gdpr.input_personal_data
	some c in data.confgate.lib.k8s.containers
	some i, env in data.confgate.lib.k8s.list(c.container.env)
	name := env.name
	is_string(name)
	debug_logging_env(name, env.value)
	f := {
		"id": "CG8006",
		"msg": sprintf("%s %q processes personal data but container %q logs at debug level (%s); debug logs copy request data into log storage that nobody deletes on time", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.container_name(c), name]),
		"path": array.concat(c.path, ["env", i, "value"]),
	}
}

deny contains f if {
	data.confgate.lib.gdpr.input_personal_data
	some c in data.confgate.lib.k8s.containers
	some field in ["command", "args"]
	some i, arg in data.confgate.lib.k8s.list(c.container[field])
	is_string(arg)
	regex.match(`(?i)^--?(log-?level|logging-level|log\.level)[= ](debug|trace|all)$`, arg)
	f := {
		"id": "CG8006",
		"msg": sprintf("%s %q processes personal data but container %q logs at debug level (%s); debug logs copy request data into log storage that nobody deletes on time", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.container_name(c), arg]),
		"path": array.concat(c.path, [field, i]),
	}
}

debug_logging_env(name, value) if {
	is_string(value)
	regex.match(`(?i)^([A-Z0-9]+_)*(LOG_?LEVEL|LOGGING_LEVEL(_[A-Z0-9_]+)?|LOG_VERBOSITY)$`, name)
	regex.match(`(?i)^\s*(debug|trace|all|verbose|finest|finer)\s*$`, value)
}

debug_logging_env(name, value) if {
	is_string(value)
	name == "RUST_LOG"
	regex.match(`(?i)(^|[,=])\s*(debug|trace)\s*($|,)`, value)
}

debug_logging_env(name, value) if {
	is_string(value)
	name in {"DEBUG", "APP_DEBUG", "FLASK_DEBUG", "DJANGO_DEBUG"}
	lower(trim_space(value)) in {"true", "1", "yes", "*"}
}
