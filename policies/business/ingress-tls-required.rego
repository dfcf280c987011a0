package confgate.business

# Parameter require_tls: Ingresses must serve their hosts over TLS. An Ingress without any TLS
# (neither spec.tls nor a cloud certificate annotation) is reported once; with spec.tls, each
# rule host that no TLS entry lists is reported.
deny contains f if {
	data.confgate.business.lib.enabled("require_tls")
	input.kind == "Ingress"
	not data.confgate.business.lib.ingress_tls_configured
	f := {
		"id": "ingress-tls-required",
		"msg": sprintf("Ingress %q serves plain HTTP: it has no TLS section; %s requires TLS", [data.confgate.lib.k8s.name, data.confgate.business.lib.environment_label]),
		"path": data.confgate.business.lib.nearest_path(input, [], ["spec", "tls"]),
	}
}

deny contains f if {
	data.confgate.business.lib.enabled("require_tls")
	input.kind == "Ingress"
	count(data.confgate.business.lib.ingress_tls) > 0
	not data.confgate.business.lib.ingress_tls_catch_all
	some i, rule in data.confgate.lib.k8s.list(object.get(input, ["spec", "rules"], []))
	is_object(rule)
	host := object.get(rule, "host", "")
	is_string(host)
	host != ""
	not data.confgate.business.lib.ingress_tls_covers(host)
	f := {
		"id": "ingress-tls-required",
		"msg": sprintf("Ingress %q serves host %q without TLS: no entry of spec.tls lists it; %s requires TLS", [data.confgate.lib.k8s.name, host, data.confgate.business.lib.environment_label]),
		"path": ["spec", "rules", i, "host"],
	}
}
