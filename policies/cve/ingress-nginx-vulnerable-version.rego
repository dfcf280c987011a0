package confgate.rules.cve

ingress_nginx_repos := {
	"registry.k8s.io/ingress-nginx/controller",
	"registry.k8s.io/ingress-nginx/controller-chroot",
	"k8s.gcr.io/ingress-nginx/controller",
	"k8s.gcr.io/ingress-nginx/controller-chroot",
	"us.gcr.io/k8s-artifacts-prod/ingress-nginx/controller",
	"quay.io/kubernetes-ingress-controller/nginx-ingress-controller",
}

# CVE-2025-1974 and its companions affect every release before 1.11.5, and 1.12.0.
ingress_nginx_affected := [["0.0.0-0", "1.11.5"], ["1.12.0-0", "1.12.1"]]

deny contains f if {
	some hit in data.confgate.lib.images.versioned(ingress_nginx_repos)
	r := data.confgate.lib.images.affected(hit.version, ingress_nginx_affected)
	f := {
		"id": "CG6005",
		"msg": sprintf("container %q runs ingress-nginx %s (%s), affected by CVE-2025-1974 \"IngressNightmare\": unauthenticated code execution in the controller through its admission webhook, which can read every Secret in the cluster; upgrade to v%s or later (fixed in v1.11.5 and v1.12.1)", [data.confgate.lib.k8s.container_name(hit.c), hit.version, hit.image, r[1]]),
		"path": array.concat(hit.c.path, ["image"]),
	}
}
