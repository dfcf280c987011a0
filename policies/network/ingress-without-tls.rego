package confgate.rules.network

# Annotations with which a controller terminates TLS from a certificate kept elsewhere.
ingress_without_tls_cert_annotations := {
	"alb.ingress.kubernetes.io/certificate-arn",
	"networking.gke.io/managed-certificates",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
	"kubernetes.io/ingress.global-static-ip-name-tls",
}

deny contains f if {
	input.kind == "Ingress"
	not ingress_without_tls_configured
	f := {
		"id": "CG3004",
		"msg": sprintf("Ingress %q serves plain HTTP: it has no TLS section", [data.confgate.lib.k8s.name]),
		"path": ["spec", "tls"],
	}
}

ingress_without_tls_configured if {
	tls := input.spec.tls
	is_array(tls)
	count(tls) > 0
}

ingress_without_tls_configured if {
	some key in object.keys(data.confgate.lib.k8s.annotations(input))
	key in ingress_without_tls_cert_annotations
}
