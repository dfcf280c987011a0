package confgate.rules.cve

dashboard_repos := {sprintf("%s/kubernetes-dashboard%s", [registry, arch]) |
	some registry in ["k8s.gcr.io", "gcr.io/google_containers", "gcr.io/google-containers", "registry.k8s.io"]
	some arch in ["", "-amd64", "-arm", "-arm64", "-ppc64le", "-s390x"]
}

# CVE-2018-18264 affects every Dashboard before 1.10.1.
dashboard_affected := [["0.0.0-0", "1.10.1"]]

deny contains f if {
	some hit in data.confgate.lib.images.versioned(dashboard_repos)
	r := data.confgate.lib.images.affected(hit.version, dashboard_affected)
	f := {
		"id": "CG6009",
		"msg": sprintf("container %q runs Kubernetes Dashboard %s (%s), affected by CVE-2018-18264: its login can be skipped to act with the Dashboard's ServiceAccount and read Secrets; upgrade to %s or later (better, kubernetesui/dashboard v2)", [data.confgate.lib.k8s.container_name(hit.c), hit.version, hit.image, r[1]]),
		"path": array.concat(hit.c.path, ["image"]),
	}
}
