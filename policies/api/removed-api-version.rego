package confgate.rules.api

import data.confgate.lib.apis
import data.confgate.lib.k8s

deny contains f if {
	e := apis.served_until[input.apiVersion][input.kind]
	apis.reached(e.removed)
	f := {
		"id": "CG7001",
		"msg": sprintf("%s %q uses apiVersion %s, which Kubernetes no longer serves since 1.%d (target %s); migrate to %s", [input.kind, k8s.name, input.apiVersion, e.removed, apis.target, e.replacement]),
		"path": ["apiVersion"],
	}
}
