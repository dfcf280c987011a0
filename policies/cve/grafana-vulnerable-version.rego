package confgate.rules.cve

grafana_repos := {"grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise"}

# CVE-2021-43798 affects 8.0.0-beta1 to 8.3.0; fixed in 8.0.7, 8.1.8, 8.2.7 and 8.3.1.
grafana_affected := [["8.0.0-0", "8.0.7"], ["8.1.0-0", "8.1.8"], ["8.2.0-0", "8.2.7"], ["8.3.0-0", "8.3.1"]]

deny contains f if {
	some hit in data.confgate.lib.images.versioned(grafana_repos)
	r := data.confgate.lib.images.affected(hit.version, grafana_affected)
	f := {
		"id": "CG6007",
		"msg": sprintf("container %q runs Grafana %s (%s), affected by CVE-2021-43798: unauthenticated path traversal through /public/plugins/ reads any file of the container, including grafana.ini and the database; upgrade to %s or later (fixed in 8.0.7, 8.1.8, 8.2.7 and 8.3.1)", [data.confgate.lib.k8s.container_name(hit.c), hit.version, hit.image, r[1]]),
		"path": array.concat(hit.c.path, ["image"]),
	}
}
