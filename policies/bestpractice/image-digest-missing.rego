package confgate.rules.bestpractice

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	image := c.container.image
	is_string(image)
	image != ""
	not k8s.image_placeholder(image)
	not k8s.image_pinned(image)
	f := {
		"id": "CG5007",
		"msg": sprintf("container %q uses image %q without a digest; a tag can be moved to different content", [k8s.container_name(c), image]),
		"path": array.concat(c.path, ["image"]),
	}
}
