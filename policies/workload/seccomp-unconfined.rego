package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	p.spec.securityContext.seccompProfile.type == "Unconfined"
	f := {
		"id": "CG1013",
		"msg": sprintf("%s %q disables seccomp for its pod (seccompProfile.type: Unconfined)", [input.kind, k8s.name]),
		"path": array.concat(p.path, ["securityContext", "seccompProfile", "type"]),
	}
}

deny contains f if {
	some c in k8s.containers
	c.container.securityContext.seccompProfile.type == "Unconfined"
	f := {
		"id": "CG1013",
		"msg": sprintf("container %q disables seccomp (seccompProfile.type: Unconfined)", [k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "seccompProfile", "type"]),
	}
}

deny contains f if {
	some key, value in k8s.pod_annotations
	is_string(key)
	seccomp_unconfined_annotation(key)
	value == "unconfined"
	f := {
		"id": "CG1013",
		"msg": sprintf("annotation %q disables seccomp", [key]),
		"path": array.concat(k8s.pod_metadata_path, ["annotations", key]),
	}
}

seccomp_unconfined_annotation(key) if key == "seccomp.security.alpha.kubernetes.io/pod"

seccomp_unconfined_annotation(key) if startswith(key, "container.seccomp.security.alpha.kubernetes.io/")
