package confgate.rules.network

# ingress-nginx annotations whose value is pasted into the controller's nginx configuration.
ingress_nginx_snippet_annotation_keys := {
	"nginx.ingress.kubernetes.io/configuration-snippet",
	"nginx.ingress.kubernetes.io/server-snippet",
	"nginx.ingress.kubernetes.io/auth-snippet",
	"nginx.ingress.kubernetes.io/modsecurity-snippet",
	"nginx.ingress.kubernetes.io/stream-snippet",
}

deny contains f if {
	input.kind == "Ingress"
	some key, value in data.confgate.lib.k8s.annotations(input)
	key in ingress_nginx_snippet_annotation_keys
	is_string(value)
	trim_space(value) != ""
	f := {
		"id": "CG3011",
		"msg": sprintf("Ingress %q injects raw nginx configuration through %s, which runs with the ingress controller's access to every Secret in the cluster", [data.confgate.lib.k8s.name, key]),
		"path": ["metadata", "annotations", key],
	}
}
