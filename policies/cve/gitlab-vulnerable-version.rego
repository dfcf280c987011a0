package confgate.rules.cve

gitlab_repos := {
	"gitlab/gitlab-ce",
	"gitlab/gitlab-ee",
	"registry.gitlab.com/gitlab-org/build/cng/gitlab-webservice-ce",
	"registry.gitlab.com/gitlab-org/build/cng/gitlab-webservice-ee",
	"registry.gitlab.com/gitlab-org/build/cng/gitlab-workhorse-ce",
	"registry.gitlab.com/gitlab-org/build/cng/gitlab-workhorse-ee",
}

# CVE-2021-22205 affects 11.9 to 13.8.7, 13.9.0 to 13.9.5 and 13.10.0 to 13.10.2.
gitlab_affected := [["11.9.0-0", "13.8.8"], ["13.9.0-0", "13.9.6"], ["13.10.0-0", "13.10.3"]]

deny contains f if {
	some hit in data.confgate.lib.images.versioned(gitlab_repos)
	r := data.confgate.lib.images.affected(hit.version, gitlab_affected)
	f := {
		"id": "CG6010",
		"msg": sprintf("container %q runs GitLab %s (%s), affected by CVE-2021-22205: an unauthenticated image upload executes code through ExifTool; upgrade to %s or later (fixed in 13.8.8, 13.9.6 and 13.10.3)", [data.confgate.lib.k8s.container_name(hit.c), hit.version, hit.image, r[1]]),
		"path": array.concat(hit.c.path, ["image"]),
	}
}
