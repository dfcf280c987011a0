package confgate.rules.bestpractice

deny contains f if {
	input.kind in data.confgate.lib.governance.scalable_kinds
	is_number(input.spec.replicas)
	replicas_with_hpa_scaler
	f := {
		"id": "CG5016",
		"msg": sprintf("%s %q sets replicas: %v although an autoscaler scales it; every apply resets the replica count to that number", [input.kind, data.confgate.lib.k8s.name, input.spec.replicas]),
		"path": ["spec", "replicas"],
	}
}

replicas_with_hpa_scaler if count(data.confgate.lib.governance.input_autoscalers) > 0

replicas_with_hpa_scaler if data.confgate.lib.governance.input_keda_scaled
