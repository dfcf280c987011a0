package confgate.business

# Parameter forbid_latest: images must name a version. An image without a tag, or tagged
# latest, changes under the environment without any change to its configuration; an image
# pinned by digest is fine whatever its tag, and placeholders ($IMAGE, {{ .image }}) are left
# to the templating that fills them in.
deny contains f if {
	data.confgate.business.lib.enabled("forbid_latest")
	some c in data.confgate.lib.k8s.containers
	image := object.get(c.container, "image", null)
	is_string(image)
	trim_space(image) != ""
	not data.confgate.lib.k8s.image_placeholder(image)
	not data.confgate.lib.k8s.image_pinned(image)
	lower(data.confgate.lib.k8s.image_tag(image)) in {"", "latest"}
	f := {
		"id": "latest-tag",
		"msg": sprintf("container %q uses image %q without a fixed version (no tag, or latest); %s requires a version tag or a digest", [data.confgate.lib.k8s.container_name(c), image, data.confgate.business.lib.environment_label]),
		"path": array.concat(c.path, ["image"]),
	}
}
