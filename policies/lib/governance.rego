# Helpers for rules that look across documents (data.inventory): label selectors, the
# workloads of a namespace with their pod labels, autoscalers, and which namespaces count as
# production. Every helper tolerates malformed objects: absent or mistyped fields make a
# selector match nothing rather than raise an error.
package confgate.lib.governance

# The workload kinds (k8s.workload_templates and Pod); which objects of them are workloads
# is k8s.workload_object's call (Knative's Service shares its kind with the core one).
workload_kinds := {k | some k, _ in data.confgate.lib.k8s.workload_templates} | {"Pod"}

# Long-running kinds that keep a replica count for a service (the rules on replicas, PDBs and
# spreading judge these): the built-in ones and OpenShift DeploymentConfig, Argo Rollout and
# OpenKruise CloneSet, which manage their pods the same way.
service_kinds := {"Deployment", "StatefulSet", "DeploymentConfig", "Rollout", "CloneSet"}

# Kinds whose spec.replicas an autoscaler may set.
scalable_kinds := service_kinds | {"ReplicaSet", "ReplicationController"}

# A LabelSelector (matchLabels and matchExpressions) selects `labels`. An empty selector
# selects everything, as in NetworkPolicy and policy/v1 PodDisruptionBudget. (Written with
# counts rather than `every`: regorus's VM treated an `every` whose body is undefined for a
# missing label as satisfied.)
selector_matches(sel, labels) if {
	is_object(sel)
	is_object(labels)
	ml := data.confgate.lib.k8s.map(object.get(sel, "matchLabels", {}))
	count([k | some k, v in ml; object.get(labels, k, null) == v]) == count(ml)
	exprs := data.confgate.lib.k8s.list(object.get(sel, "matchExpressions", []))
	count([e | some e in exprs; expression_matches(e, labels)]) == count(exprs)
}

expression_matches(e, labels) if {
	expression_key(e, "In") != null
	v := object.get(labels, expression_key(e, "In"), null)
	v != null
	v in data.confgate.lib.k8s.list(e.values)
}

expression_matches(e, labels) if {
	expression_key(e, "NotIn") != null
	v := object.get(labels, expression_key(e, "NotIn"), null)
	not v in data.confgate.lib.k8s.list(e.values)
}

expression_matches(e, labels) if {
	expression_key(e, "Exists") != null
	object.get(labels, expression_key(e, "Exists"), null) != null
}

expression_matches(e, labels) if {
	expression_key(e, "DoesNotExist") != null
	object.get(labels, expression_key(e, "DoesNotExist"), null) == null
}

# The key of a match expression with operator `op`, null when the expression is malformed
# (every value bound before use: regorus's VM lets a `not` succeed after an undefined one).
expression_key(e, op) := k if {
	is_object(e)
	e.operator == op
	k := object.get(e, "key", null)
	is_string(k)
} else := null

# A map selector (Service, ReplicationController) selects `labels`; an empty one selects
# nothing.
map_selector_matches(sel, labels) if {
	is_object(sel)
	count(sel) > 0
	is_object(labels)
	count([k | some k, v in sel; object.get(labels, k, null) == v]) == count(sel)
}

# Labels of the pods an object creates (its own labels for a Pod), or {}. An Argo Rollout
# with `workloadRef` runs the pods of the Deployment it names (in its namespace).
pod_labels(obj) := l if {
	l := data.confgate.lib.k8s.template_metadata_of(obj).labels
	is_object(l)
} else := l if {
	l := workload_ref_labels(obj)
	is_object(l)
} else := {}

workload_ref_labels(obj) := l if {
	obj.kind == "Rollout"
	ref := obj.spec.workloadRef
	is_string(ref.name)
	ns := object.get(obj, ["metadata", "namespace"], "default")
	some target in namespaced(ns, object.get(ref, "kind", "Deployment"))
	target.metadata.name == ref.name
	l := data.confgate.lib.k8s.template_metadata_of(target).labels
	is_object(l)
}

# The objects of one kind in namespace `ns` of the inventory, whatever their apiVersion.
namespaced(ns, kind) := [obj |
	some group in data.inventory.namespace[ns]
	some obj in group[kind]
	is_object(obj)
]

# The workloads of namespace `ns` in the inventory.
workloads(ns) := [obj |
	some group in data.inventory.namespace[ns]
	some kind, objs in group
	kind in workload_kinds
	some obj in objs
	is_object(obj)
	data.confgate.lib.k8s.workload_object(obj)
]

# The Namespace object called `ns` in the inventory, or {}.
namespace_object(ns) := obj if {
	obj := data.inventory.cluster.v1.Namespace[ns]
	is_object(obj)
} else := {}

# HorizontalPodAutoscalers of namespace `ns` that scale the object `kind`/`name`.
autoscalers(ns, kind, name) := [hpa |
	some hpa in namespaced(ns, "HorizontalPodAutoscaler")
	hpa.spec.scaleTargetRef.kind == kind
	hpa.spec.scaleTargetRef.name == name
]

# The autoscalers of the input itself. Rules without arguments are evaluated once per
# document; the function above is evaluated at each call, and a workload asks several times.
input_autoscalers := autoscalers(data.confgate.lib.k8s.namespace, input.kind, data.confgate.lib.k8s.name)

# A KEDA ScaledObject scales the input (once per document, as input_autoscalers).
input_keda_scaled if keda_scaled(data.confgate.lib.k8s.namespace, input.kind, data.confgate.lib.k8s.name)

# A KEDA ScaledObject of namespace `ns` scales the object.
keda_scaled(ns, kind, name) if {
	some so in namespaced(ns, "ScaledObject")
	object.get(so, ["spec", "scaleTargetRef", "kind"], "Deployment") == kind
	so.spec.scaleTargetRef.name == name
}

# The input's replica count as written (1 when absent, as Kubernetes defaults it).
replicas := r if {
	r := input.spec.replicas
	is_number(r)
} else := 1

# The input's minimum number of replicas, counting an autoscaler's minReplicas (default 1).
min_replicas := m if {
	hpas := input_autoscalers
	count(hpas) > 0
	m := min([n | some h in hpas; n := hpa_min(h)])
	is_number(m)
} else := replicas

hpa_min(h) := n if {
	n := h.spec.minReplicas
	is_number(n)
} else := 1

# The input runs (or may run) more than one replica: replicas >= 2 or an autoscaler that
# allows more than one.
multi_replica if replicas >= 2

multi_replica if {
	some h in input_autoscalers
	object.get(h, ["spec", "maxReplicas"], 0) >= 2
}

# Production: the namespace, or the workload itself, is labelled environment (or env) =
# production/prod, or the namespace is named prod, production, prod-*, production-*, *-prod
# or *-production.
production_namespace(ns) if regex.match(`^(prod|production)($|[-_.])|[-_.](prod|production)$`, ns)

production_namespace(ns) if production_labels(data.confgate.lib.k8s.labels(namespace_object(ns)))

production if production_namespace(data.confgate.lib.k8s.namespace)

production if production_labels(data.confgate.lib.k8s.labels(input))

production_labels(labels) if {
	some key in ["environment", "env"]
	v := labels[key]
	is_string(v)
	lower(v) in {"production", "prod"}
}

# Where a finding about the replica count points: spec.replicas when written, else the name.
replicas_path := ["spec", "replicas"] if {
	r := object.get(input, ["spec", "replicas"], null)
	is_number(r)
} else := ["metadata", "name"]
