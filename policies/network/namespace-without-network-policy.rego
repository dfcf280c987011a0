package confgate.rules.network

deny contains f if {
	input.kind == "Namespace"
	ns := data.confgate.lib.k8s.name
	ns != ""
	not ns in data.confgate.lib.network.system_namespaces
	count(data.confgate.lib.network.policies(ns)) == 0
	f := {
		"id": "CG3005",
		"msg": sprintf("Namespace %q has no NetworkPolicy: every pod in it accepts traffic from anywhere in the cluster", [ns]),
		"path": ["metadata", "name"],
	}
}
