package confgate.rules.bestpractice

deny contains f if {
	input.kind in data.confgate.lib.governance.service_kinds
	data.confgate.lib.governance.production
	not data.confgate.lib.governance.input_keda_scaled
	n := data.confgate.lib.governance.min_replicas
	n >= 1
	n < 2
	f := {
		"id": "CG5013",
		"msg": sprintf("%s %q can run with a single replica in production (%s); any restart, eviction or node failure interrupts the service", [input.kind, data.confgate.lib.k8s.name, production_replicas_why]),
		"path": data.confgate.lib.governance.replicas_path,
	}
}

production_replicas_why := "its HorizontalPodAutoscaler's minReplicas is 1" if {
	count(data.confgate.lib.governance.input_autoscalers) > 0
} else := "replicas: 1"
