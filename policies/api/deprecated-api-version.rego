package confgate.rules.api

deny contains f if {
	e := data.confgate.lib.apis.served_until[input.apiVersion][input.kind]
	data.confgate.lib.apis.reached(e.deprecated)
	not data.confgate.lib.apis.reached(e.removed)
	not deprecated_api_controller_managed
	f := {
		"id": "CG7002",
		"msg": sprintf("%s %q uses apiVersion %s, deprecated since Kubernetes 1.%d %s; migrate to %s", [input.kind, data.confgate.lib.k8s.name, input.apiVersion, e.deprecated, deprecated_api_removal(e.removed), e.replacement]),
		"path": ["apiVersion"],
	}
}

deprecated_api_removal(removed) := s if {
	is_number(removed)
	s := sprintf("and no longer served from 1.%d on", [removed])
	is_string(s)
} else := "(still served, but new features only reach the replacement)"

# Endpoints that the endpoints controller maintains for a Service (read from a live cluster)
# are not written by anyone and need no migration.
deprecated_api_controller_managed if {
	input.kind == "Endpoints"
	data.confgate.lib.k8s.annotations(input)["endpoints.kubernetes.io/last-change-trigger-time"]
}
