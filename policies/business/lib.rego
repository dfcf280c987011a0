# Shared helpers for the business rules of `confgate validate --environment ENV`: the
# parameters of the selected environment, environment names and their aliases, replica counts
# with autoscalers, resources and probes, debug settings, and where a finding about a missing
# field points.
#
# The rules themselves live in package confgate.business (one `deny` per file); the helpers
# live here so that package holds nothing but `deny`, and business rules written by users
# (also in package confgate.business) cannot clash with a helper's name.
#
# Every helper is total where it can be (a default instead of undefined) and every value is
# bound before it is tested: regorus's VM does not always fail a body on an assignment from an
# undefined reference, nor fall through to `else` after one.
package confgate.business.lib

# --- parameters

# The parameters of the selected environment (data.business), {} when none were given.
params := p if {
	p := data.business
	is_object(p)
} else := {}

# A parameter's value; null when absent (absent and null both mean "off").
param(name) := object.get(params, name, null)

# A switch is on only when it is exactly true.
enabled(name) if param(name) == true

# A numeric threshold, undefined when the parameter is absent, null or not a number.
number_param(name) := n if {
	n := param(name)
	is_number(n)
}

# The strings of a list parameter (a single string counts as a list of one; [] when absent
# or anything else).
string_list(x) := [s | some s in x; is_string(s); s != ""] if is_array(x)

string_list(x) := [s | some s in x; is_string(s); s != ""] if is_set(x)

string_list(x) := [x] if {
	is_string(x)
	x != ""
}

string_list(x) := [] if {
	not is_array(x)
	not is_set(x)
	not is_string(x)
}

# --- environments

# The selected environment ("" when none was given).
environment := e if {
	e := data.settings.environment
	is_string(e)
	trim_space(e) != ""
} else := ""

# The environment as messages name it.
environment_label := sprintf("environment %q", [environment]) if {
	environment != ""
} else := "this environment"

# Names that mean the same environment.
environment_aliases := {
	"prod": {"prod", "production", "prd"},
	"staging": {"staging", "stage", "stg"},
	"dev": {"dev", "development"},
	"test": {"test", "testing"},
	"qa": {"qa"},
}

# Every alias with its canonical name ("production" -> "prod").
canonical_names := {alias: c | some c, aliases in environment_aliases; some alias in aliases}

# An environment name reduced to its canonical alias ("Production" -> "prod"); names outside
# the alias table are only lower-cased. (A lookup rather than an `else` after a loop, which
# regorus's VM does not always fall through to.)
canonical_environment(name) := object.get(canonical_names, lower(trim_space(name)), lower(trim_space(name)))

# The name is one of the well-known environments of the alias table.
known_environment(name) if object.get(canonical_names, lower(trim_space(name)), null) != null

# Settings that name the environment the application believes it runs in: ENVIRONMENT, ENV,
# APP_ENV, DEPLOY_ENV, DD_ENV, SENTRY_ENVIRONMENT, ENV_NAME, ... (keys normalized by
# normalize_key) and Spring's active profiles.
environment_key(nk) if nk == "SPRING_PROFILES_ACTIVE"

environment_key(nk) if {
	regex.match(`(^|_)ENV(IRONMENT)?(_NAME)?$`, nk)
	not nk in framework_mode_keys
}

# Framework modes (NODE_ENV and the like) only tell production from development builds:
# NODE_ENV=production is normal in staging and test, so only "development" outside dev and
# "production" in dev contradict the environment.
framework_mode_keys := {"NODE_ENV", "RAILS_ENV", "RACK_ENV", "FLASK_ENV", "MIX_ENV"}

framework_mode_contradicts("dev") if canonical_environment(environment) != "dev"

framework_mode_contradicts("prod") if canonical_environment(environment) == "dev"

# The individual values of an environment setting: Spring's comma-separated profiles, or the
# whole value.
setting_values(nk, value) := [trim_space(p) | some p in split(value, ",")] if {
	nk == "SPRING_PROFILES_ACTIVE"
}

setting_values(nk, value) := [trim_space(value)] if nk != "SPRING_PROFILES_ACTIVE"

# The environment names in setting `key` = `value` that contradict the selected environment
# ([] when there are none, or when the setting does not name an environment). A value naming
# the selected environment under any alias, or an unknown name, is not a contradiction; a list
# of Spring profiles is one when it names well-known environments but not the selected one.
contradicting_environments(key, value) := names if {
	nk := normalize_key(key)
	environment_key(nk)
	vals := setting_values(nk, value)
	current := canonical_environment(environment)
	named := {canonical_environment(v) | some v in vals}
	not current in named
	names := [v | some v in vals; known_environment(v)]
	count(names) > 0
} else := names if {
	nk := normalize_key(key)
	nk in framework_mode_keys
	framework_mode_contradicts(canonical_environment(value))
	names := [trim_space(value)]
	count(names) > 0
} else := []

# --- keys and values of settings

# A setting's key in environment-variable form: camelCase split, upper case, "." and "-" as
# "_" ("logLevel", "log.level", "log-level" -> "LOG_LEVEL").
normalize_key(k) := upper(replace(replace(regex.replace(k, `([a-z0-9])([A-Z])`, "${1}_${2}"), ".", "_"), "-", "_"))

# A scalar setting value as text: strings as they are, booleans and numbers (an unquoted
# `true` in YAML) printed; "" for anything else.
scalar_text(v) := v if {
	is_string(v)
} else := sprintf("%v", [v]) if {
	is_boolean(v)
} else := sprintf("%v", [v]) if {
	is_number(v)
} else := ""

# The literal env entries of a container: {"index", "name", "value"} with the value as text
# (entries with valueFrom, or without a name, are left out).
env_entries(c) := [{"index": i, "name": name, "value": value} |
	some i, e in data.confgate.lib.k8s.list(object.get(c.container, "env", []))
	is_object(e)
	name := object.get(e, "name", null)
	is_string(name)
	value := scalar_text(object.get(e, "value", null))
	value != ""
]

# The entries of a ConfigMap's data with their values as text.
configmap_entries := [{"key": k, "value": value} |
	input.kind == "ConfigMap"
	some k, v in data.confgate.lib.k8s.map(object.get(input, "data", {}))
	value := scalar_text(v)
	value != ""
]

# --- debug settings

truthy_values := {"true", "1", "yes", "on", "y", "enabled"}

debug_levels := {"debug", "trace"}

# Framework modes whose "development" value turns on debug pages and auto-reload.
development_mode_keys := {"NODE_ENV", "FLASK_ENV", "RAILS_ENV", "RACK_ENV", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"}

# A normalized key `nk` with lower-cased value `v` turns debugging on.
debug_value(nk, v) if {
	regex.match(`(^|_)DEBUG(_MODE|_ENABLED)?$`, nk)
	not regex.match(`(^|_)(NO|DISABLE|DISABLED|SKIP)_`, nk)
	v in truthy_values
}

# The node `debug` module: DEBUG=* or DEBUG=app:* turns its debug output on.
debug_value(nk, v) if {
	nk == "DEBUG"
	contains(v, "*")
	regex.match(`^[a-z0-9_:.*,-]+$`, v)
}

debug_value(nk, v) if {
	regex.match(`(^|_)LOG_?LEVEL$|^LOGGING_LEVEL(_|$)|^LEVEL$`, nk)
	v in debug_levels
}

debug_value(nk, v) if {
	nk == "RUST_LOG"
	regex.match(`(^|[,=])(debug|trace)(,|$)`, v)
}

debug_value(nk, v) if {
	nk == "GIN_MODE"
	v == "debug"
}

debug_value(nk, "development") if nk in development_mode_keys

# Command-line debug switches, each with one capture group for the switch as messages show
# it: --debug, --log-level=debug / --log-level debug, klog verbosity of 6 and more, the Node
# inspector and the Java debug agent.
debug_flag_patterns := [
	`(?i)(?:^|[\s"'])(--?debug(?:=(?:true|1|yes|on))?)(?:[\s"';]|$)`,
	`(?i)(?:^|[\s"'])(--?(?:log|logging)[-_.]?level(?:=|\s+)["']?(?:debug|trace))(?:[\s"';]|$)`,
	`(?:^|[\s"'])(--?v(?:=|\s+)(?:[6-9]|[1-9][0-9]+))(?:[\s"';]|$)`,
	`(?:^|[\s"'])(--inspect(?:-brk)?(?:=[^\s"';]*)?)(?:[\s"';]|$)`,
	`(-agentlib:jdwp[^\s"';]*|-Xrunjdwp[^\s"';]*|-Xdebug)(?:[\s"';]|$)`,
]

# The debug switches in a command line (one argument, or a *_OPTS variable), sorted.
debug_flags(text) := sort({m[1] |
	some p in debug_flag_patterns
	some m in regex.find_all_string_submatch_n(p, text, -1)
})

# Environment variables holding command-line options (JAVA_OPTS, NODE_OPTIONS, EXTRA_ARGS).
options_key(nk) if regex.match(`(^|_)(OPTS|OPTIONS|ARGS|FLAGS)$`, nk)

# What turns debugging on in setting `key` = `value`, as a message shows it ("" when
# nothing): `key=value` for debug flags, log levels and development modes; the switches for a
# variable of command-line options.
debug_setting(key, value) := sprintf("%s=%s", [key, shown_value(value)]) if {
	debug_value(normalize_key(key), lower(trim_space(value)))
} else := concat(" ", flags) if {
	options_key(normalize_key(key))
	flags := debug_flags(value)
	count(flags) > 0
} else := ""

# A value that turns debugging on as a message shows it: short values made of name
# characters (true, debug, app:*, info,app=debug) as they are, anything else elided, so that
# a message never repeats an arbitrary value.
shown_value(value) := v if {
	v := trim_space(value)
	regex.match(`^[A-Za-z0-9_:.*,=-]{1,40}$`, v)
} else := "..."

# `key: value` and `key = value` pairs in configuration text (YAML, JSON, properties, INI,
# .env): group 1 is the key, group 2 the value.
text_setting_pattern := `(?m)(?:^|[\s{,])["']?([A-Za-z_][\w.-]*)["']?[ \t]*[:=][ \t]*["']?([^"'\s,;#}]*)`

# The debug settings in configuration text, as messages show them.
text_debug_settings(text) := sort({sprintf("%s: %s", [m[1], m[2]]) |
	some m in regex.find_all_string_submatch_n(text_setting_pattern, text, -1)
	debug_value(normalize_key(m[1]), lower(m[2]))
})

# What turns debugging on in a ConfigMap entry ("" when nothing): the key and value as a
# setting, else settings inside the value's text.
configmap_debug(key, value) := s if {
	s := debug_setting(key, value)
	s != ""
} else := concat(", ", text_debug_settings(value))

# A pair of arguments `flag` `value` that turns debugging on (--log-level debug, -v 9).
debug_flag_pair(flag, value) if {
	regex.match(`(?i)^--?(log|logging)[-_.]?level$`, trim_space(flag))
	lower(trim_space(value)) in debug_levels
}

debug_flag_pair(flag, value) if {
	regex.match(`^--?v$`, trim_space(flag))
	regex.match(`^([6-9]|[1-9][0-9]+)$`, trim_space(value))
}

# --- paths

# The path of the longest prefix of `rel` that exists (is not null) in `obj`, after `base`:
# where a finding about a missing field points.
nearest_path(obj, base, rel) := array.concat(base, array.slice(rel, 0, n)) if {
	n := max({k | some k in numbers.range(0, count(rel)); prefix_exists(obj, rel, k)})
}

prefix_exists(_, _, k) if k == 0

prefix_exists(obj, rel, k) if {
	k > 0
	object.get(obj, array.slice(rel, 0, k), null) != null
}

# --- replicas and autoscalers

# Kinds with spec.replicas.
replica_kinds := data.confgate.lib.governance.scalable_kinds

# The input's replica count as written; 1 when absent (the Kubernetes default), undefined
# when it is not a number (a template placeholder cannot be judged).
replicas := 1 if object.get(input, ["spec", "replicas"], null) == null

replicas := r if {
	r := object.get(input, ["spec", "replicas"], null)
	is_number(r)
}

# Where findings about the replica count point.
replicas_path := nearest_path(input, [], ["spec", "replicas"])

# A number, or `fallback` when absent, null or not a number.
number_or(v, fallback) := v if {
	is_number(v)
} else := fallback

# HorizontalPodAutoscalers (any apiVersion) in the inventory that scale the input.
hpas := data.confgate.lib.governance.input_autoscalers

# KEDA ScaledObjects in the inventory that scale the input (their target kind defaults to
# Deployment).
scaled_objects := [so |
	some so in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "ScaledObject")
	object.get(so, ["spec", "scaleTargetRef", "kind"], "Deployment") == input.kind
	object.get(so, ["spec", "scaleTargetRef", "name"], null) == data.confgate.lib.k8s.name
]

# An autoscaler, not spec.replicas, decides the replica count.
autoscaled if count(hpas) + count(scaled_objects) > 0

# The fewest replicas the input's autoscalers allow (HPA minReplicas defaults to 1, KEDA's
# minReplicaCount to 0).
autoscaler_min := min(array.concat(
	[n | some h in hpas; n := number_or(object.get(h, ["spec", "minReplicas"], null), 1)],
	[n | some s in scaled_objects; n := number_or(object.get(s, ["spec", "minReplicaCount"], null), 0)],
))

# The most replicas the input's autoscalers allow (KEDA's maxReplicaCount defaults to 100).
autoscaler_max := max(array.concat(
	[n | some h in hpas; n := number_or(object.get(h, ["spec", "maxReplicas"], null), 1)],
	[n | some s in scaled_objects; n := number_or(object.get(s, ["spec", "maxReplicaCount"], null), 100)],
))

# The autoscalers as messages name them.
autoscaler_label := "its HorizontalPodAutoscaler" if {
	count(scaled_objects) == 0
} else := "its KEDA ScaledObject" if {
	count(hpas) == 0
} else := "its autoscalers"

# The input runs, or may be scaled to, two replicas or more.
multi_replica if {
	not autoscaled
	r := replicas
	is_number(r)
	r >= 2
}

multi_replica if {
	autoscaled
	autoscaler_max >= 2
}

# A PodDisruptionBudget of the input's namespace selects pods with these labels.
pdb_covers(labels) if {
	some pdb in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "PodDisruptionBudget")
	data.confgate.lib.governance.selector_matches(object.get(pdb, ["spec", "selector"], null), labels)
}

# --- resources

# Containers that take resources: regular and init containers (ephemeral containers cannot
# set any).
resource_containers contains c if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
}

# A quantity is set: a non-empty string or a number.
quantity_set(q) if {
	is_string(q)
	trim_space(q) != ""
}

quantity_set(q) if is_number(q)

# A LimitRange of the input's namespace gives containers a `field` ("default" for limits,
# "defaultRequest" for requests) of `resource`.
limitrange_default(field, resource) if {
	some lr in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "LimitRange")
	some item in data.confgate.lib.k8s.list(object.get(lr, ["spec", "limits"], []))
	is_object(item)
	object.get(item, "type", null) == "Container"
	quantity_set(object.get(item, [field, resource], null))
}

# The container ends up with a `kind` ("limits" or "requests") of `resource` ("cpu" or
# "memory"): set on the container, or defaulted by a LimitRange. Kubernetes uses a limit as
# the request when only the limit is set, and a LimitRange's default limit as the default
# request.
has_resource(c, kind, resource) if quantity_set(object.get(c.container, ["resources", kind, resource], null))

has_resource(c, "requests", resource) if quantity_set(object.get(c.container, ["resources", "limits", resource], null))

has_resource(_, "limits", resource) if limitrange_default("default", resource)

has_resource(_, "requests", resource) if limitrange_default("defaultRequest", resource)

has_resource(_, "requests", resource) if limitrange_default("default", resource)

# The resources of `kind` a container lacks.
missing_resources(c, kind) := [r | some r in ["cpu", "memory"]; not has_resource(c, kind, r)]

# Where a finding about missing resources points: the missing quantity (or its nearest
# existing parent) when one is missing, resources.<kind> (or its nearest parent) when both are.
resource_path(c, kind, missing) := nearest_path(c.container, c.path, ["resources", kind, missing[0]]) if {
	count(missing) == 1
}

resource_path(c, kind, missing) := nearest_path(c.container, c.path, ["resources", kind]) if {
	count(missing) > 1
}

# --- probes

# Long-running workloads (Jobs, CronJobs and pods that are not restarted run to completion).
long_running if input.kind in (data.confgate.lib.governance.scalable_kinds | {"DaemonSet"})

long_running if data.confgate.lib.k8s.api_group(input.apiVersion) == "serving.knative.dev"

long_running if {
	input.kind == "Pod"
	not object.get(input, ["spec", "restartPolicy"], "Always") in {"Never", "OnFailure"}
}

probe_names := {"readinessProbe": "readiness", "livenessProbe": "liveness"}

# The probes (readinessProbe, livenessProbe) a container lacks; an empty probe is none.
missing_probes(c) := [p | some p in ["readinessProbe", "livenessProbe"]; not probe_set(object.get(c.container, p, null))]

probe_set(p) if {
	is_object(p)
	count(p) > 0
}

# Where a finding about missing probes points: the probe (or the container) when one is
# missing, the container when both are.
probe_path(c, missing) := nearest_path(c.container, c.path, [missing[0]]) if count(missing) == 1

probe_path(c, missing) := c.path if count(missing) > 1

# --- ingress TLS

# Annotations with which a controller terminates TLS from a certificate kept elsewhere.
certificate_annotations := {
	"alb.ingress.kubernetes.io/certificate-arn",
	"networking.gke.io/managed-certificates",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
	"service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
}

# The Ingress's TLS entries.
ingress_tls := [t | some t in data.confgate.lib.k8s.list(object.get(input, ["spec", "tls"], [])); is_object(t)]

# The Ingress terminates TLS somehow: spec.tls entries or a certificate annotation.
ingress_tls_configured if count(ingress_tls) > 0

ingress_tls_configured if {
	some key in object.keys(data.confgate.lib.k8s.annotations(input))
	key in certificate_annotations
}

# A TLS entry without hosts applies the certificate to every host.
ingress_tls_catch_all if {
	some t in ingress_tls
	count(data.confgate.lib.k8s.list(object.get(t, "hosts", []))) == 0
}

# A TLS entry lists `host` (exactly, or through a wildcard for one label).
ingress_tls_covers(host) if {
	some t in ingress_tls
	some h in data.confgate.lib.k8s.list(object.get(t, "hosts", []))
	host_matches(h, host)
}

host_matches(pattern, host) if {
	is_string(pattern)
	lower(pattern) == lower(host)
}

host_matches(pattern, host) if {
	is_string(pattern)
	startswith(pattern, "*.")
	suffix := lower(trim_prefix(pattern, "*"))
	h := lower(host)
	endswith(h, suffix)
	label := trim_suffix(h, suffix)
	label != ""
	not contains(label, ".")
}
