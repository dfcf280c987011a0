package confgate.rules.cve

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	dir := c.container.workingDir
	is_string(dir)
	regex.match(`^/proc/(self|thread-self|[0-9]+)/fd(/|$)`, dir)
	f := {
		"id": "CG6004",
		"msg": sprintf("container %q starts in %q, a file descriptor of the container runtime: the runc \"Leaky Vessels\" escape to the host filesystem (CVE-2024-21626, fixed in runc 1.1.12)", [data.confgate.lib.k8s.container_name(c), dir]),
		"path": array.concat(c.path, ["workingDir"]),
	}
}
