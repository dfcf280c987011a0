# Shared helpers for built-in rules: the pod spec of any workload kind and every container
# with the path to it, so that findings point at the offending field.
package confgate.lib.k8s

# The kinds that carry a pod template, where the template (metadata + spec) sits, and the
# API groups that define them (none listed: the kind name is unique, any group). Knative's
# `Service` and `Configuration` share their kind names with other APIs, so their group is
# checked. src/k8s.rs holds the same table (a test keeps them in step); a `Pod` is its own
# template. An Argo Rollout with `workloadRef` has no template of its own: it runs the pods of
# the Deployment it names (see workload_ref_labels in governance.rego).
workload_templates := {
	"Deployment": {"groups": set(), "template": ["spec", "template"]},
	"ReplicaSet": {"groups": set(), "template": ["spec", "template"]},
	"StatefulSet": {"groups": set(), "template": ["spec", "template"]},
	"DaemonSet": {"groups": set(), "template": ["spec", "template"]},
	"Job": {"groups": set(), "template": ["spec", "template"]},
	"ReplicationController": {"groups": set(), "template": ["spec", "template"]},
	"CronJob": {"groups": set(), "template": ["spec", "jobTemplate", "spec", "template"]},
	"PodTemplate": {"groups": set(), "template": ["template"]},
	"DeploymentConfig": {"groups": {"", "apps.openshift.io"}, "template": ["spec", "template"]},
	"Rollout": {"groups": {"argoproj.io"}, "template": ["spec", "template"]},
	"ScaledJob": {"groups": {"keda.sh"}, "template": ["spec", "jobTargetRef", "template"]},
	"Service": {"groups": {"serving.knative.dev"}, "template": ["spec", "template"]},
	"Configuration": {"groups": {"serving.knative.dev"}, "template": ["spec", "template"]},
	"CloneSet": {"groups": {"apps.kruise.io"}, "template": ["spec", "template"]},
}

# The API group of an apiVersion ("" for the core group's "v1").
api_group(api_version) := g if {
	is_string(api_version)
	contains(api_version, "/")
	g := split(api_version, "/")[0]
} else := ""

# Path of the pod template of object `obj` (undefined when its kind has none).
template_path_of(obj) := t.template if {
	t := workload_templates[obj.kind]
	count(t.groups) == 0
} else := t.template if {
	t := workload_templates[obj.kind]
	api_group(obj.apiVersion) in t.groups
}

# template_path_of(input), computed once per document: a rule rather than a function call
# with the whole input as argument, which costs a lot per call.
template_path := t.template if {
	t := workload_templates[input.kind]
	count(t.groups) == 0
} else := t.template if {
	t := workload_templates[input.kind]
	api_group(input.apiVersion) in t.groups
}

# The object is a workload whose pods confgate can see (a Pod or a kind with a template).
workload_object(obj) if obj.kind == "Pod"

workload_object(obj) if template_path_of(obj)

# Metadata of the pod template of `obj` ({} when absent or malformed); a Pod's own metadata.
template_metadata_of(obj) := m if {
	obj.kind == "Pod"
	m := obj.metadata
	is_object(m)
} else := m if {
	m := object.get(obj, array.concat(template_path_of(obj), ["metadata"]), null)
	is_object(m)
} else := {}

# The pod spec of the input and its path, for every kind that carries one.
pods contains {"spec": input.spec, "path": ["spec"]} if {
	input.kind == "Pod"
	is_object(input.spec)
}

pods contains {"spec": spec, "path": path} if {
	path := array.concat(template_path, ["spec"])
	spec := object.get(input, path, null)
	is_object(spec)
}

# Pod metadata (labels/annotations) of the pod a workload creates.
pod_metadata := input.metadata if input.kind == "Pod"

pod_metadata := m if {
	m := object.get(input, array.concat(template_path, ["metadata"]), null)
	m != null
}

# Every container (regular, init and ephemeral) with its path and type.
containers contains {"container": c, "path": array.concat(p.path, [field, i]), "type": field, "pod": p} if {
	some p in pods
	some field in ["containers", "initContainers", "ephemeralContainers"]
	items := p.spec[field]
	is_array(items)
	some i, c in items
	is_object(c)
}

# Display name of the input resource (always a string).
name := n if {
	n := input.metadata.name
	is_string(n)
} else := text(object.get(input, ["metadata", "name"], ""))

# Namespace of the input resource (always a string; "default" when absent or malformed).
namespace := ns if {
	ns := input.metadata.namespace
	is_string(ns)
} else := "default"

# Any value as text, for messages (sprintf's %q fails on non-strings).
text(x) := x if {
	is_string(x)
} else := sprintf("%v", [x])

# The items of a list field, or [] when absent or not a list (iterating a non-collection
# is a runtime error).
list(x) := x if {
	is_array(x)
} else := []

# The entries of a map field, or {} when absent or not a map.
map(x) := x if {
	is_object(x)
} else := {}

# Image tag or "" when none; a digest-pinned image has digest true.
image_tag(image) := tag if {
	not contains(image, "@")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
} else := ""

image_pinned(image) if contains(image, "@sha256:")

# The container's own securityContext, or {} when absent or not an object.
container_sc(c) := sc if {
	sc := c.container.securityContext
	is_object(sc)
} else := {}

# The pod-level securityContext of the container's pod, or {}.
pod_sc(c) := sc if {
	sc := c.pod.spec.securityContext
	is_object(sc)
} else := {}

# Effective security setting of a container: its own when set, else the pod's (undefined
# when neither sets it). Each branch ends in a test: regorus's VM does not fall through to
# `else` when a branch's last statement is an assignment from an undefined reference.
effective_sc(c, field) := v if {
	v := container_sc(c)[field]
	v != null
} else := v if {
	v := pod_sc(c)[field]
	v != null
}

# Path of the field that decides effective_sc: the container's when it sets the field, else
# the pod's when the pod sets it, else the container's (where it should be added).
sc_path(c, field) := array.concat(c.path, ["securityContext", field]) if {
	container_sc(c)[field] != null
} else := array.concat(c.pod.path, ["securityContext", field]) if {
	pod_sc(c)[field] != null
} else := array.concat(c.path, ["securityContext", field])

# Display name of a container ("" when it has none).
container_name(c) := n if {
	n := c.container.name
	is_string(n)
} else := ""

# The pod runs Windows containers (Linux-only controls do not apply).
windows_pod(p) if p.spec.os.name == "windows"

# Annotations of an object as a map ({} when absent or malformed).
annotations(obj) := a if {
	a := obj.metadata.annotations
	is_object(a)
} else := {}

# Labels of an object as a map ({} when absent or malformed).
labels(obj) := l if {
	l := obj.metadata.labels
	is_object(l)
} else := {}

# Annotations of the pod a workload creates ({} when none).
pod_annotations := a if {
	a := pod_metadata.annotations
	is_object(a)
} else := {}

# Path of the pod metadata (labels/annotations) within the input.
pod_metadata_path := ["metadata"] if input.kind == "Pod"

pod_metadata_path := array.concat(template_path, ["metadata"])

# An image reference that is a template to be filled in later ($IMAGE, ${IMAGE}, {{ .image }}).
image_placeholder(image) if regex.match(`^\$|\$\{|\{\{`, image)
