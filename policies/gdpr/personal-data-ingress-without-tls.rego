package confgate.rules.gdpr

# TLS terminated by the controller from a certificate named in an annotation.
ingress_tls_annotations := {
	"alb.ingress.kubernetes.io/certificate-arn",
	"networking.gke.io/managed-certificates",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
}

deny contains f if {
	input.kind == "Ingress"
	not ingress_tls_by_annotation
	some i, rule in data.confgate.lib.k8s.list(input.spec.rules)
	some p in data.confgate.lib.k8s.list(rule.http.paths)
	svc := ingress_backend_service(p.backend)
	why := ingress_personal_backend(svc)
	not ingress_tls_covers(object.get(rule, "host", ""))
	f := {
		"id": "CG8001",
		"msg": sprintf("Ingress %q serves host %q over plain HTTP, but its backend Service %q %s; personal data must be encrypted in transit", [data.confgate.lib.k8s.name, data.confgate.lib.k8s.text(object.get(rule, "host", "*")), svc, why]),
		"path": ingress_rule_path(i, rule),
	}
}

deny contains f if {
	input.kind == "Ingress"
	not ingress_tls_by_annotation
	svc := ingress_backend_service(input.spec.defaultBackend)
	why := ingress_personal_backend(svc)
	not ingress_tls_covers("")
	f := {
		"id": "CG8001",
		"msg": sprintf("Ingress %q sends plain-HTTP traffic to its default backend Service %q, which %s; personal data must be encrypted in transit", [data.confgate.lib.k8s.name, svc, why]),
		"path": ["spec", "defaultBackend"],
	}
}

ingress_rule_path(i, rule) := ["spec", "rules", i, "host"] if {
	h := object.get(rule, "host", null)
	is_string(h)
} else := ["spec", "rules", i]

# The Service a backend points at (networking.k8s.io/v1 or the older serviceName form).
ingress_backend_service(b) := n if {
	n := b.service.name
	is_string(n)
} else := n if {
	n := b.serviceName
	is_string(n)
}

# Why the Service behind an Ingress carries personal data: the Ingress or its namespace is
# labelled, or the Service selects the pods of a labelled workload of the scan.
ingress_personal_backend(svc) := "belongs to a namespace or Ingress marked as processing personal data" if {
	data.confgate.lib.gdpr.input_personal_data
} else := why if {
	svc_obj := [s | some s in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "Service"); s.metadata.name == svc][0]
	whys := sort([w |
		some obj in data.confgate.lib.governance.workloads(data.confgate.lib.k8s.namespace)
		data.confgate.lib.governance.map_selector_matches(svc_obj.spec.selector, data.confgate.lib.governance.pod_labels(obj))
		data.confgate.lib.gdpr.personal_data(obj)
		w := sprintf("routes to %s %q, which processes personal data", [obj.kind, data.confgate.lib.k8s.text(object.get(obj, ["metadata", "name"], ""))])
	])
	count(whys) > 0
	why := whys[0]
}

ingress_tls_by_annotation if {
	some key, _ in data.confgate.lib.k8s.annotations(input)
	key in ingress_tls_annotations
}

# A TLS entry of the Ingress covers `host` ("" for rules without a host).
ingress_tls_covers(host) if {
	some t in data.confgate.lib.k8s.list(input.spec.tls)
	count(data.confgate.lib.k8s.list(t.hosts)) == 0
}

ingress_tls_covers(host) if {
	host != ""
	some t in data.confgate.lib.k8s.list(input.spec.tls)
	host in data.confgate.lib.k8s.list(t.hosts)
}

ingress_tls_covers(host) if {
	host != ""
	some t in data.confgate.lib.k8s.list(input.spec.tls)
	some h in data.confgate.lib.k8s.list(t.hosts)
	is_string(h)
	startswith(h, "*.")
	parts := split(host, ".")
	count(parts) > 2
	concat(".", array.slice(parts, 1, count(parts))) == substring(h, 2, -1)
}
