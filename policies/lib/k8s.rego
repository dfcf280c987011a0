# Shared helpers for built-in rules: the pod spec of any workload kind and every container
# with the path to it, so that findings point at the offending field.
package confgate.lib.k8s

# Kinds whose pod spec sits at spec.template.spec.
templated_kinds := {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}

# The pod spec of the input and its path, for every kind that carries one.
pods contains {"spec": input.spec, "path": ["spec"]} if {
	input.kind == "Pod"
	is_object(input.spec)
}

pods contains {"spec": input.spec.template.spec, "path": ["spec", "template", "spec"]} if {
	input.kind in templated_kinds
	is_object(input.spec.template.spec)
}

pods contains {"spec": input.spec.jobTemplate.spec.template.spec, "path": ["spec", "jobTemplate", "spec", "template", "spec"]} if {
	input.kind == "CronJob"
	is_object(input.spec.jobTemplate.spec.template.spec)
}

pods contains {"spec": input.template.spec, "path": ["template", "spec"]} if {
	input.kind == "PodTemplate"
	is_object(input.template.spec)
}

# Pod metadata (labels/annotations) of the pod a workload creates.
pod_metadata := input.metadata if input.kind == "Pod"

pod_metadata := input.spec.template.metadata if input.kind in templated_kinds

pod_metadata := input.spec.jobTemplate.spec.template.metadata if input.kind == "CronJob"

pod_metadata := input.template.metadata if input.kind == "PodTemplate"

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

pod_metadata_path := ["spec", "template", "metadata"] if input.kind in templated_kinds

pod_metadata_path := ["spec", "jobTemplate", "spec", "template", "metadata"] if input.kind == "CronJob"

pod_metadata_path := ["template", "metadata"] if input.kind == "PodTemplate"

# An image reference that is a template to be filled in later ($IMAGE, ${IMAGE}, {{ .image }}).
image_placeholder(image) if regex.match(`^\$|\$\{|\{\{`, image)
