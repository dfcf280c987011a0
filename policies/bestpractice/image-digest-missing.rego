package confgate.rules.bestpractice

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	image := c.container.image
	is_string(image)
	image != ""
	not data.confgate.lib.k8s.image_placeholder(image)
	not data.confgate.lib.k8s.image_pinned(image)
	f := {
		"id": "CG5007",
		"msg": sprintf("container %q uses image %q without a digest; a tag can be moved to different content", [data.confgate.lib.k8s.container_name(c), image]),
		"path": array.concat(c.path, ["image"]),
	}
}
