package confgate.rules.bestpractice

# Tags that are moved on purpose to follow a branch or channel.
mutable_tag_names := {"", "latest", "stable", "main", "master", "develop", "dev", "edge", "nightly", "snapshot"}

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	image := c.container.image
	is_string(image)
	image != ""
	not data.confgate.lib.k8s.image_placeholder(image)
	not contains(image, "@")
	tag := data.confgate.lib.k8s.image_tag(image)
	lower(tag) in mutable_tag_names
	policy := c.container.imagePullPolicy
	policy in {"IfNotPresent", "Never"}
	f := {
		"id": "CG5015",
		"msg": sprintf("container %q uses the moving tag of %q with imagePullPolicy %s; each node keeps whichever version it pulled first, so replicas run different code", [data.confgate.lib.k8s.container_name(c), image, policy]),
		"path": array.concat(c.path, ["imagePullPolicy"]),
	}
}
