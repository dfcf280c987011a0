package confgate.rules.rbac

deny contains f if {
	input.kind == "ServiceAccount"
	data.confgate.lib.k8s.name == "default"
	not input.automountServiceAccountToken == false
	f := {
		"id": "CG2014",
		"msg": sprintf("The default ServiceAccount of namespace %q lets every pod that does not opt out mount its token; set automountServiceAccountToken: false", [data.confgate.lib.k8s.namespace]),
		"path": ["automountServiceAccountToken"],
	}
}
