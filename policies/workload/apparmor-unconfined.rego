package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	p.spec.securityContext.appArmorProfile.type == "Unconfined"
	f := {
		"id": "CG1016",
		"msg": sprintf("%s %q runs its pod without AppArmor confinement (appArmorProfile.type: Unconfined)", [input.kind, k8s.name]),
		"path": array.concat(p.path, ["securityContext", "appArmorProfile", "type"]),
	}
}

deny contains f if {
	some c in k8s.containers
	c.container.securityContext.appArmorProfile.type == "Unconfined"
	f := {
		"id": "CG1016",
		"msg": sprintf("container %q runs without AppArmor confinement (appArmorProfile.type: Unconfined)", [k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "appArmorProfile", "type"]),
	}
}

deny contains f if {
	some key, value in k8s.pod_annotations
	is_string(key)
	startswith(key, "container.apparmor.security.beta.kubernetes.io/")
	value == "unconfined"
	f := {
		"id": "CG1016",
		"msg": sprintf("annotation %q disables AppArmor for the container", [key]),
		"path": array.concat(k8s.pod_metadata_path, ["annotations", key]),
	}
}
