package confgate.rules.workload

# The Pod Security level the workload's Namespace enforces (label
# pod-security.kubernetes.io/enforce), when that Namespace is part of the scan and the level
# restricts anything ("privileged" restricts nothing).
namespace_pod_security_level := level if {
	ns := data.inventory.cluster.v1.Namespace[data.confgate.lib.k8s.namespace]
	level := data.confgate.lib.k8s.labels(ns)["pod-security.kubernetes.io/enforce"]
	level in {"baseline", "restricted"}
}

deny contains f if {
	level := namespace_pod_security_level
	some v in data.confgate.lib.pss.violations(level)
	f := {
		"id": "CG1025",
		"msg": sprintf("namespace %q enforces the %s Pod Security level and will reject these pods: %s", [data.confgate.lib.k8s.namespace, level, v.msg]),
		"path": v.path,
	}
}
