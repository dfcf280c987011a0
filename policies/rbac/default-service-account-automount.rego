package confgate.rules.rbac

import data.confgate.lib.k8s

deny contains f if {
	input.kind == "ServiceAccount"
	k8s.name == "default"
	not input.automountServiceAccountToken == false
	f := {
		"id": "CG2014",
		"msg": sprintf("The default ServiceAccount of namespace %q lets every pod that does not opt out mount its token; set automountServiceAccountToken: false", [k8s.namespace]),
		"path": ["automountServiceAccountToken"],
	}
}
