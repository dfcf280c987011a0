package confgate.rules.cve

argocd_repos := {"quay.io/argoproj/argocd", "argoproj/argocd"}

# CVE-2024-31989 is fixed in 2.8.19, 2.9.15, 2.10.10 and 2.11.1.
argocd_affected := [["0.0.0-0", "2.8.19"], ["2.9.0-0", "2.9.15"], ["2.10.0-0", "2.10.10"], ["2.11.0-0", "2.11.1"]]

deny contains f if {
	some hit in data.confgate.lib.images.versioned(argocd_repos)
	r := data.confgate.lib.images.affected(hit.version, argocd_affected)
	f := {
		"id": "CG6006",
		"msg": sprintf("container %q runs Argo CD %s (%s), affected by CVE-2024-31989: any pod that reaches Argo CD's Redis can tamper with its cache and escalate to the privileges of the application controller; upgrade to %s or later (fixed in 2.8.19, 2.9.15, 2.10.10 and 2.11.1)", [data.confgate.lib.k8s.container_name(hit.c), hit.version, hit.image, r[1]]),
		"path": array.concat(hit.c.path, ["image"]),
	}
}
