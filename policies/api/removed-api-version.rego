package confgate.rules.api

deny contains f if {
	e := data.confgate.lib.apis.served_until[input.apiVersion][input.kind]
	data.confgate.lib.apis.reached(e.removed)
	f := {
		"id": "CG7001",
		"msg": sprintf("%s %q uses apiVersion %s, which Kubernetes no longer serves since 1.%d (target %s); migrate to %s", [input.kind, data.confgate.lib.k8s.name, input.apiVersion, e.removed, data.confgate.lib.apis.target, e.replacement]),
		"path": ["apiVersion"],
	}
}
