package confgate.rules.workload

# Hardening beyond Pod Security Standards (which dropped their optional "Non-root groups"
# control): no root group for the processes or the volumes of a Linux pod.
deny contains f if {
	some p in data.confgate.lib.k8s.pods
	not data.confgate.lib.k8s.windows_pod(p)
	sc := run_as_root_group_pod_context(p)
	some field in ["runAsGroup", "fsGroup"]
	sc[field] == 0
	f := {
		"id": "CG1026",
		"msg": sprintf("%s %q sets %s: 0 for its pod; its processes or volumes get the root group", [input.kind, data.confgate.lib.k8s.name, field]),
		"path": array.concat(p.path, ["securityContext", field]),
	}
}

deny contains f if {
	some p in data.confgate.lib.k8s.pods
	not data.confgate.lib.k8s.windows_pod(p)
	some i, gid in data.confgate.lib.k8s.list(run_as_root_group_pod_context(p).supplementalGroups)
	gid == 0
	f := {
		"id": "CG1026",
		"msg": sprintf("%s %q adds the root group (0) to supplementalGroups", [input.kind, data.confgate.lib.k8s.name]),
		"path": array.concat(p.path, ["securityContext", "supplementalGroups", i]),
	}
}

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	not data.confgate.lib.k8s.windows_pod(c.pod)
	data.confgate.lib.k8s.container_sc(c).runAsGroup == 0
	f := {
		"id": "CG1026",
		"msg": sprintf("container %q runs with the root group (runAsGroup: 0)", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "runAsGroup"]),
	}
}

run_as_root_group_pod_context(p) := sc if {
	sc := p.spec.securityContext
	is_object(sc)
}
