package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	not k8s.windows_pod(c.pod)
	not seccomp_profile_missing_set(c)
	f := {
		"id": "CG1012",
		"msg": sprintf("container %q has no seccomp profile (set seccompProfile.type to RuntimeDefault or Localhost on the pod or the container)", [k8s.container_name(c)]),
		"path": k8s.sc_path(c, "seccompProfile"),
	}
}

# Any explicit seccomp choice counts here; an Unconfined one is reported by CG1013.
seccomp_profile_missing_set(c) if {
	is_string(k8s.effective_sc(c, "seccompProfile").type)
}

# Legacy annotations (removed in Kubernetes 1.27), still honoured for older manifests.
seccomp_profile_missing_set(c) if {
	is_string(k8s.pod_annotations["seccomp.security.alpha.kubernetes.io/pod"])
}

seccomp_profile_missing_set(c) if {
	key := sprintf("container.seccomp.security.alpha.kubernetes.io/%s", [k8s.container_name(c)])
	is_string(k8s.pod_annotations[key])
}
