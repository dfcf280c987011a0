package confgate.business

# Parameter forbid_debug: no debug switch may be on: debug modes leak internals (stack traces,
# debug pages, remote debuggers) and debug logging leaks data and costs. Reported where the
# switch is: the value of a container's env entry, the argument of its command or args, or
# the ConfigMap data key. Messages show the switch only, never the rest of a value.

# Env entries: DEBUG=true, APP_DEBUG=1, LOG_LEVEL=debug, NODE_ENV=development, and debug
# switches in JAVA_OPTS, NODE_OPTIONS and the like.
deny contains f if {
	data.confgate.business.lib.enabled("forbid_debug")
	some c in data.confgate.lib.k8s.containers
	some e in data.confgate.business.lib.env_entries(c)
	setting := data.confgate.business.lib.debug_setting(e.name, e.value)
	setting != ""
	f := {
		"id": "debug-enabled",
		"msg": sprintf("container %q turns debugging on with env %s; %s forbids debug settings", [data.confgate.lib.k8s.container_name(c), setting, data.confgate.business.lib.environment_label]),
		"path": array.concat(c.path, ["env", e.index, "value"]),
	}
}

# Command and args: --debug, --log-level=debug, -v=9, --inspect, -agentlib:jdwp, also
# inside a shell command line.
deny contains f if {
	data.confgate.business.lib.enabled("forbid_debug")
	some c in data.confgate.lib.k8s.containers
	some field in ["command", "args"]
	some i, arg in data.confgate.lib.k8s.list(object.get(c.container, field, []))
	is_string(arg)
	flags := data.confgate.business.lib.debug_flags(arg)
	count(flags) > 0
	f := {
		"id": "debug-enabled",
		"msg": sprintf("container %q turns debugging on with %s %s; %s forbids debug settings", [data.confgate.lib.k8s.container_name(c), field, concat(" ", flags), data.confgate.business.lib.environment_label]),
		"path": array.concat(c.path, [field, i]),
	}
}

# A switch and its value as two arguments (--log-level debug, -v 9): reported at the value.
deny contains f if {
	data.confgate.business.lib.enabled("forbid_debug")
	some c in data.confgate.lib.k8s.containers
	some field in ["command", "args"]
	args := data.confgate.lib.k8s.list(object.get(c.container, field, []))
	some i, flag in args
	is_string(flag)
	i + 1 < count(args)
	value := args[i + 1]
	is_string(value)
	data.confgate.business.lib.debug_flag_pair(flag, value)
	f := {
		"id": "debug-enabled",
		"msg": sprintf("container %q turns debugging on with %s %s %s; %s forbids debug settings", [data.confgate.lib.k8s.container_name(c), field, trim_space(flag), trim_space(value), data.confgate.business.lib.environment_label]),
		"path": array.concat(c.path, [field, i + 1]),
	}
}

# ConfigMap data: keys such as DEBUG: "true" or LOG_LEVEL: debug, and configuration files
# whose text sets "debug": true, log_level: debug and the like.
deny contains f if {
	data.confgate.business.lib.enabled("forbid_debug")
	some e in data.confgate.business.lib.configmap_entries
	setting := data.confgate.business.lib.configmap_debug(e.key, e.value)
	setting != ""
	f := {
		"id": "debug-enabled",
		"msg": sprintf("ConfigMap %q key %q turns debugging on (%s); %s forbids debug settings", [data.confgate.lib.k8s.name, e.key, setting, data.confgate.business.lib.environment_label]),
		"path": ["data", e.key],
	}
}
