package confgate.rules.bestpractice

import data.confgate.lib.governance as gov
import data.confgate.lib.k8s

deny contains f if {
	input.kind in gov.service_kinds
	gov.production
	not gov.keda_scaled(k8s.namespace, input.kind, k8s.name)
	n := gov.min_replicas
	n >= 1
	n < 2
	f := {
		"id": "CG5013",
		"msg": sprintf("%s %q can run with a single replica in production (%s); any restart, eviction or node failure interrupts the service", [input.kind, k8s.name, production_replicas_why]),
		"path": gov.replicas_path,
	}
}

production_replicas_why := "its HorizontalPodAutoscaler's minReplicas is 1" if {
	count(gov.autoscalers(k8s.namespace, input.kind, k8s.name)) > 0
} else := "replicas: 1"
