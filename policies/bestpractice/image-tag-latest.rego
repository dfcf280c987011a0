package confgate.rules.bestpractice

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	image := c.container.image
	is_string(image)
	image != ""
	not data.confgate.lib.k8s.image_placeholder(image)
	not data.confgate.lib.k8s.image_pinned(image)
	tag := data.confgate.lib.k8s.image_tag(image)
	tag in {"", "latest"}
	f := {
		"id": "CG5006",
		"msg": sprintf("container %q uses image %q %s; the version that runs can change without any change to the manifest", [data.confgate.lib.k8s.container_name(c), image, image_tag_latest_why(tag)]),
		"path": array.concat(c.path, ["image"]),
	}
}

image_tag_latest_why("") := "without a tag (implicitly latest)"

image_tag_latest_why("latest") := "with the tag latest"
