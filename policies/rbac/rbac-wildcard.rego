package confgate.rules.rbac

# API groups whose resource names are metric names: reading `*` there is the documented way
# to let an autoscaler or dashboard read metrics.
rbac_wildcard_metrics_groups := {"metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io"}

deny contains f if {
	some x in data.confgate.lib.rbac.rules
	some field in ["verbs", "resources", "apiGroups"]
	some j, v in data.confgate.lib.k8s.list(x.rule[field])
	v == "*"
	not rbac_wildcard_metrics_read(x.rule, field)
	f := {
		"id": "CG2001",
		"msg": sprintf("%s %q grants a wildcard in %s%s; list the exact %s it needs", [input.kind, data.confgate.lib.k8s.name, field, data.confgate.lib.rbac.via_text(x), field]),
		"path": data.confgate.lib.rbac.field_path(x, field, j),
	}
}

# `resources: ["*"]` with read-only verbs in metrics API groups only.
rbac_wildcard_metrics_read(r, "resources") if {
	groups := data.confgate.lib.rbac.strings(r, "apiGroups")
	count(groups) > 0
	every g in groups {
		g in rbac_wildcard_metrics_groups
	}
	verbs := data.confgate.lib.rbac.strings(r, "verbs")
	count(verbs) > 0
	every v in verbs {
		lower(v) in {"get", "list", "watch"}
	}
}
