# Rego v1 conftest policies: violation objects with details and the offending field's path,
# data from --data, and a prefixed warn rule.
package main

import rego.v1

# METADATA
# title: Images must come from an allowed registry
violation_registry contains result if {
	some i, container in input.spec.template.spec.containers
	not allowed(container.image)
	result := {
		"msg": sprintf("container %s pulls %s from a registry that is not allowed", [container.name, container.image]),
		"details": {"image": container.image},
		"path": ["spec", "template", "spec", "containers", i, "image"],
	}
}

allowed(image) if {
	some registry in data.allowed_registries
	startswith(image, concat("", [registry, "/"]))
}

deny contains msg if {
	input.kind == "Deployment"
	input.spec.replicas > data.limits.max_replicas
	msg := sprintf("Deployment %s asks for %d replicas, more than the limit of %d", [input.metadata.name, input.spec.replicas, data.limits.max_replicas])
}

warn_no_probe contains msg if {
	some container in input.spec.template.spec.containers
	not container.readinessProbe
	msg := sprintf("container %s has no readinessProbe", [container.name])
}
