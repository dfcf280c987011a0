package confgate.business_test

# Unit tests for the business rules about settings: debug switches (debug-enabled) and
# settings that name another environment (environment-mismatch), in container env entries,
# command lines and ConfigMaps. Fixtures (eval, deploy, container, cpath) are in
# workload_test.rego.

with_env(entries) := deploy({}, object.union(container, {"env": entries}))

with_args(field, args) := deploy({}, object.union(container, {field: args}))

configmap(entries) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}, "data": entries}

debug := {"forbid_debug": true}

# --- debug-enabled: env entries

test_debug_env_flags_fire_at_the_value if {
	fs := eval(with_env([{"name": "PORT", "value": "8080"}, {"name": "DEBUG", "value": "true"}]), debug, "prod", [])
	paths(fs, "debug-enabled") == {array.concat(cpath, ["env", 1, "value"])}
	every entry in [
		{"name": "APP_DEBUG", "value": "1"},
		{"name": "FLASK_DEBUG", "value": "1"},
		{"name": "DJANGO_DEBUG", "value": "True"},
		{"name": "DEBUG_MODE", "value": "on"},
		{"name": "LOG_LEVEL", "value": "debug"},
		{"name": "APP_LOG_LEVEL", "value": "TRACE"},
		{"name": "LOGGING_LEVEL_ROOT", "value": "DEBUG"},
		{"name": "RUST_LOG", "value": "info,app=debug"},
		{"name": "DEBUG", "value": "app:*"},
		{"name": "NODE_ENV", "value": "development"},
		{"name": "GIN_MODE", "value": "debug"},
	] {
		paths(eval(with_env([entry]), debug, "prod", []), "debug-enabled") == {array.concat(cpath, ["env", 0, "value"])}
	}
}

test_debug_env_quiet_on_other_values if {
	entries := [
		{"name": "DEBUG", "value": "false"},
		{"name": "APP_DEBUG", "value": "0"},
		{"name": "DISABLE_DEBUG", "value": "true"},
		{"name": "LOG_LEVEL", "value": "info"},
		{"name": "DEBUG_PORT", "value": "5005"},
		{"name": "NODE_ENV", "value": "production"},
		{"name": "DEBUG", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "DEBUG"}}},
		{"name": "JAVA_OPTS", "value": "-Xmx512m -Dlog.dir=/tmp"},
	]
	count(ids(eval(with_env(entries), debug, "prod", []), "debug-enabled")) == 0
}

test_debug_env_options_show_only_the_switch if {
	entry := {"name": "JAVA_TOOL_OPTIONS", "value": "-Ddb.password=hunter2 -agentlib:jdwp=transport=dt_socket,server=y,address=*:5005"}
	fs := eval(with_env([entry]), debug, "prod", [])
	paths(fs, "debug-enabled") == {array.concat(cpath, ["env", 0, "value"])}
	some f in fs
	f.id == "debug-enabled"
	contains(f.msg, "-agentlib:jdwp")
	not contains(f.msg, "hunter2")
}

# --- debug-enabled: command and args

test_debug_args_fire_at_the_argument if {
	paths(eval(with_args("args", ["--port=80", "--debug"]), debug, "prod", []), "debug-enabled") == {array.concat(cpath, ["args", 1])}
	paths(eval(with_args("args", ["--log-level=debug"]), debug, "prod", []), "debug-enabled") == {array.concat(cpath, ["args", 0])}
	paths(eval(with_args("args", ["-v=9"]), debug, "prod", []), "debug-enabled") == {array.concat(cpath, ["args", 0])}
	paths(eval(with_args("command", ["node", "--inspect=0.0.0.0:9229", "server.js"]), debug, "prod", []), "debug-enabled") == {array.concat(cpath, ["command", 1])}
	script := ["sh", "-c", "exec /app/server --token=abc123 --debug --port 8080"]
	fs := eval(with_args("command", script), debug, "prod", [])
	paths(fs, "debug-enabled") == {array.concat(cpath, ["command", 2])}
	some f in fs
	not contains(f.msg, "abc123")
}

test_debug_args_pair_fires_at_the_value if {
	paths(eval(with_args("args", ["--log-level", "debug"]), debug, "prod", []), "debug-enabled") == {array.concat(cpath, ["args", 1])}
	paths(eval(with_args("args", ["--v", "6"]), debug, "prod", []), "debug-enabled") == {array.concat(cpath, ["args", 1])}
}

test_debug_args_quiet_on_other_switches if {
	args := ["--debug-port=5005", "--debug=false", "--log-level=info", "-v=2", "--v", "4", "--log-level", "warn", "--verbose-name=debug"]
	count(ids(eval(with_args("args", args), debug, "prod", []), "debug-enabled")) == 0
}

# --- debug-enabled: ConfigMaps

test_debug_configmap_keys_fire_at_the_key if {
	fs := eval(configmap({"PORT": "80", "DEBUG": "true", "log.level": "debug", "logLevel": "trace"}), debug, "prod", [])
	paths(fs, "debug-enabled") == {["data", "DEBUG"], ["data", "log.level"], ["data", "logLevel"]}
}

test_debug_configmap_text_fires_at_the_key if {
	entries := {
		"app.json": "{\"port\": 8080, \"debug\": true}",
		"config.yaml": "server:\n  port: 8080\nlogging:\n  level: debug\n",
		"app.properties": "server.port=8080\nlogging.level.root=DEBUG\n",
		"settings.ini": "[app]\nlog_level = info\n",
	}
	fs := eval(configmap(entries), debug, "prod", [])
	paths(fs, "debug-enabled") == {["data", "app.json"], ["data", "config.yaml"], ["data", "app.properties"]}
}

test_debug_configmap_quiet_on_other_settings if {
	entries := {
		"DEBUG": "false",
		"LOG_LEVEL": "info",
		"app.yaml": "debug: false\nlog_level: warn\ndisable_debug: true\n",
		"password": "debug",
	}
	count(ids(eval(configmap(entries), debug, "prod", []), "debug-enabled")) == 0
}

# --- environment-mismatch

test_environment_mismatch_fires_on_env_entry if {
	fs := eval(with_env([{"name": "PORT", "value": "80"}, {"name": "APP_ENV", "value": "staging"}]), {}, "prod", [])
	paths(fs, "environment-mismatch") == {array.concat(cpath, ["env", 1, "value"])}
	spring := eval(with_env([{"name": "SPRING_PROFILES_ACTIVE", "value": "metrics, dev"}]), {}, "production", [])
	paths(spring, "environment-mismatch") == {array.concat(cpath, ["env", 0, "value"])}
	node := eval(with_env([{"name": "NODE_ENV", "value": "development"}]), {}, "staging", [])
	paths(node, "environment-mismatch") == {array.concat(cpath, ["env", 0, "value"])}
	node_prod := eval(with_env([{"name": "NODE_ENV", "value": "production"}]), {}, "dev", [])
	paths(node_prod, "environment-mismatch") == {array.concat(cpath, ["env", 0, "value"])}
}

test_environment_mismatch_fires_on_configmap_key if {
	fs := eval(configmap({"app.env": "dev", "ENVIRONMENT": "production"}), {}, "prod", [])
	paths(fs, "environment-mismatch") == {["data", "app.env"]}
	custom := eval(configmap({"DEPLOY_ENV": "prod"}), {}, "perf", [])
	paths(custom, "environment-mismatch") == {["data", "DEPLOY_ENV"]}
}

test_environment_mismatch_accepts_aliases_and_unknown_values if {
	entries := [
		{"name": "ENVIRONMENT", "value": "PRD"},
		{"name": "ENV", "value": "production"},
		{"name": "SPRING_PROFILES_ACTIVE", "value": "prod,metrics"},
		{"name": "SPRING_PROFILES_ACTIVE", "value": "metrics"},
		{"name": "APP_ENV", "value": "eu-west-1"},
		{"name": "NODE_ENV", "value": "production"},
		{"name": "DEPLOY_ENV", "value": "test"},
	]
	# Only DEPLOY_ENV=test (index 6) names another environment.
	paths(eval(with_env(entries), {}, "prod", []), "environment-mismatch") == {array.concat(cpath, ["env", 6, "value"])}
	count(ids(eval(configmap({"ENV": "stg", "NODE_ENV": "production"}), {}, "staging", []), "environment-mismatch")) == 0
	count(ids(eval(configmap({"DEPLOY_ENV": "perf"}), {}, "perf", []), "environment-mismatch")) == 0
}

test_environment_mismatch_needs_an_environment if {
	count(eval(configmap({"APP_ENV": "dev"}), {}, null, [])) == 0
	count(eval(configmap({"APP_ENV": "dev"}), {}, "", [])) == 0
	bare := data.confgate.business.deny with input as configmap({"APP_ENV": "dev"})
	count(bare) == 0
}
