package confgate.rules.bestpractice

import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

deny contains f if {
	input.kind in gov.scalable_kinds
	is_number(input.spec.replicas)
	replicas_with_hpa_scaler
	f := {
		"id": "CG5016",
		"msg": sprintf("%s %q sets replicas: %v although an autoscaler scales it; every apply resets the replica count to that number", [input.kind, k8s.name, input.spec.replicas]),
		"path": ["spec", "replicas"],
	}
}

replicas_with_hpa_scaler if count(gov.autoscalers(k8s.namespace, input.kind, k8s.name)) > 0

replicas_with_hpa_scaler if gov.keda_scaled(k8s.namespace, input.kind, k8s.name)
