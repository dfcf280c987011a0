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
	some i, c in p.spec[field]
	is_object(c)
}

# Display name of the input resource.
name := object.get(input, ["metadata", "name"], "")

namespace := object.get(input, ["metadata", "namespace"], "default")

# Image tag or "" when none; a digest-pinned image has digest true.
image_tag(image) := tag if {
	not contains(image, "@")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
} else := ""

image_pinned(image) if contains(image, "@sha256:")
