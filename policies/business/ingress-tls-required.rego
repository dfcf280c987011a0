package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Parameter require_tls: Ingresses must serve their hosts over TLS. An Ingress without any TLS
# (neither spec.tls nor a cloud certificate annotation) is reported once; with spec.tls, each
# rule host that no TLS entry lists is reported.
deny contains f if {
	lib.enabled("require_tls")
	input.kind == "Ingress"
	not lib.ingress_tls_configured
	f := {
		"id": "ingress-tls-required",
		"msg": sprintf("Ingress %q serves plain HTTP: it has no TLS section; %s requires TLS", [k8s.name, lib.environment_label]),
		"path": lib.nearest_path(input, [], ["spec", "tls"]),
	}
}

deny contains f if {
	lib.enabled("require_tls")
	input.kind == "Ingress"
	count(lib.ingress_tls) > 0
	not lib.ingress_tls_catch_all
	some i, rule in k8s.list(object.get(input, ["spec", "rules"], []))
	is_object(rule)
	host := object.get(rule, "host", "")
	is_string(host)
	host != ""
	not lib.ingress_tls_covers(host)
	f := {
		"id": "ingress-tls-required",
		"msg": sprintf("Ingress %q serves host %q without TLS: no entry of spec.tls lists it; %s requires TLS", [k8s.name, host, lib.environment_label]),
		"path": ["spec", "rules", i, "host"],
	}
}
