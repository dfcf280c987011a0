# Image references taken apart (repository, tag, digest) and compared with known-vulnerable
# version ranges. Versions come from the tag only: an image pinned by digest alone cannot be
# checked from its manifest and is never reported.
package confgate.lib.images

# The repository of an image without tag and digest, lower-cased, with Docker Hub's implicit
# prefixes removed: "docker.io/library/nginx:1.27" -> "nginx",
# "index.docker.io/grafana/grafana:8.2.0" -> "grafana/grafana".
repository(image) := repo if {
	is_string(image)
	name := split(image, "@")[0]
	parts := split(name, "/")
	last := parts[count(parts) - 1]
	base := array.concat(array.slice(parts, 0, count(parts) - 1), [split(last, ":")[0]])
	full := lower(concat("/", base))
	repo := strip_docker_hub(full)
}

strip_docker_hub(r) := strip_library(substring(r, 10, -1)) if {
	startswith(r, "docker.io/")
} else := strip_library(substring(r, 16, -1)) if {
	startswith(r, "index.docker.io/")
} else := strip_library(r)

strip_library(r) := substring(r, 8, -1) if {
	startswith(r, "library/")
} else := r

# The tag of an image ("" when it has none), also when a digest follows the tag.
tag(image) := t if {
	is_string(image)
	name := split(image, "@")[0]
	parts := split(name, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := split(last, ":")[1]
	is_string(t)
} else := ""

# The semantic version a tag names, or undefined. "v1.11.3" -> "1.11.3",
# "13.9.1-ce.0" -> "13.9.1", "8.2.6-ubuntu" -> "8.2.6", "v1.12.0-beta.0" -> "1.12.0-beta.0".
# Suffixes naming a build variant are dropped; alpha, beta, rc and pre releases are kept.
version(t) := v if {
	is_string(t)
	m := regex.find_all_string_submatch_n(`^[vV]?([0-9]+\.[0-9]+\.[0-9]+)(-[0-9A-Za-z.-]+)?`, t, 1)
	count(m) == 1
	v := concat("", [m[0][1], prerelease(m[0][2])])
	semver.is_valid(v)
}

prerelease(p) := p if {
	regex.match(`^-(alpha|beta|rc|pre)([0-9.-]*[0-9A-Za-z]*)*$`, p)
} else := ""

# The range of `ranges` ([introduced, fixed] pairs, introduced inclusive, fixed exclusive)
# that contains version `v`; undefined when `v` is in none.
affected(v, ranges) := r if {
	some r in ranges
	semver.compare(v, r[0]) >= 0
	semver.compare(v, r[1]) < 0
}

# Containers of the input whose image belongs to `repos` (a set of repository names) with a
# checkable version: {"c": container entry, "image", "version"}.
versioned(repos) := {{"c": c, "image": image, "version": v} |
	some c in data.confgate.lib.k8s.containers
	image := c.container.image
	is_string(image)
	repository(image) in repos
	v := version(tag(image))
}
