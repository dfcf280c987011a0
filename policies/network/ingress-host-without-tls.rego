package confgate.rules.network

deny contains f if {
	input.kind == "Ingress"
	tls := [t | some t in data.confgate.lib.k8s.list(input.spec.tls); is_object(t)]
	count(tls) > 0
	not ingress_host_without_tls_catch_all(tls)
	some i, rule in data.confgate.lib.k8s.list(input.spec.rules)
	host := rule.host
	is_string(host)
	host != ""
	not ingress_host_without_tls_covered(tls, host)
	f := {
		"id": "CG3010",
		"msg": sprintf("Ingress %q serves host %q without TLS: no entry of spec.tls lists it", [data.confgate.lib.k8s.name, host]),
		"path": ["spec", "rules", i, "host"],
	}
}

# A TLS entry without hosts uses the controller's default certificate for every host.
ingress_host_without_tls_catch_all(tls) if {
	some t in tls
	count(data.confgate.lib.k8s.list(object.get(t, "hosts", []))) == 0
}

ingress_host_without_tls_covered(tls, host) if {
	some t in tls
	some h in data.confgate.lib.k8s.list(t.hosts)
	ingress_host_without_tls_matches(h, host)
}

ingress_host_without_tls_matches(pattern, host) if {
	is_string(pattern)
	lower(pattern) == lower(host)
}

# `*.example.com` covers exactly one label in front of example.com.
ingress_host_without_tls_matches(pattern, host) if {
	is_string(pattern)
	startswith(pattern, "*.")
	suffix := lower(trim_prefix(pattern, "*"))
	h := lower(host)
	endswith(h, suffix)
	label := trim_suffix(h, suffix)
	label != ""
	not contains(label, ".")
}
