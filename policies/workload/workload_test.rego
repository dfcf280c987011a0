package confgate.rules.workload

import data.confgate.lib.pss

# ---------------------------------------------------------------------------------------------
# Helpers (prefixed wt_ so that they never collide with the rules of this package)

wt_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "t"}, "spec": spec}

wt_deployment(spec) := {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "t"},
	"spec": {"template": {"metadata": {"labels": {"app": "d"}}, "spec": spec}},
}

wt_cronjob(spec) := {
	"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj", "namespace": "t"},
	"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

wt_podtemplate(spec) := {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "pt", "namespace": "t"}, "template": {"spec": spec}}

# One container with a securityContext.
wt_c(sc) := {"name": "c", "image": "example/app:1.0", "securityContext": sc}

# A container and a pod-level securityContext that meet the restricted level.
wt_rc := {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}

wt_rp := {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}

# A restricted pod spec with extra fields merged in.
wt_restricted(extra) := object.union({"securityContext": wt_rp, "containers": [wt_c(wt_rc)]}, extra)

wt_findings(inp) := fs if {
	fs := deny with input as inp
}

wt_ids(inp) := {f.id | some f in wt_findings(inp)}

wt_paths(inp, id) := {f.path | some f in wt_findings(inp); f.id == id}

wt_fires(inp, id) if id in wt_ids(inp)

wt_quiet(inp, id) if not id in wt_ids(inp)

wt_baseline(inp) := vs if {
	vs := pss.baseline with input as inp
}

wt_restricted_violations(inp) := vs if {
	vs := pss.restricted with input as inp
}

# ---------------------------------------------------------------------------------------------
# CG1001 privileged-container

test_cg1001_fires_on_init_container if {
	inp := wt_pod({"initContainers": [wt_c({"privileged": true})], "containers": [wt_c({})]})
	wt_paths(inp, "CG1001") == {["spec", "initContainers", 0, "securityContext", "privileged"]}
}

test_cg1001_fires_on_ephemeral_container if {
	wt_fires(wt_pod({"containers": [wt_c({})], "ephemeralContainers": [wt_c({"privileged": true})]}), "CG1001")
}

test_cg1001_quiet_when_false if {
	wt_quiet(wt_pod({"containers": [wt_c({"privileged": false})]}), "CG1001")
}

# ---------------------------------------------------------------------------------------------
# CG1002 privilege-escalation-allowed

test_cg1002_fires_when_unset if {
	inp := wt_pod(wt_restricted({"containers": [wt_c({"capabilities": {"drop": ["ALL"]}})]}))
	wt_paths(inp, "CG1002") == {["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"]}
}

test_cg1002_fires_when_true if {
	wt_fires(wt_pod(wt_restricted({"containers": [wt_c({"allowPrivilegeEscalation": true, "capabilities": {"drop": ["ALL"]}})]})), "CG1002")
}

test_cg1002_fires_on_ephemeral_container if {
	inp := wt_pod(wt_restricted({"ephemeralContainers": [wt_c({})]}))
	wt_paths(inp, "CG1002") == {["spec", "ephemeralContainers", 0, "securityContext", "allowPrivilegeEscalation"]}
}

test_cg1002_quiet_when_false if {
	wt_quiet(wt_pod(wt_restricted({})), "CG1002")
}

test_cg1002_quiet_on_windows if {
	wt_quiet(wt_pod({"os": {"name": "windows"}, "containers": [wt_c({})]}), "CG1002")
}

# ---------------------------------------------------------------------------------------------
# CG1003 run-as-non-root-missing

test_cg1003_fires_when_unset_everywhere if {
	inp := wt_pod({"containers": [wt_c(wt_rc)]})
	wt_paths(inp, "CG1003") == {["spec", "containers", 0, "securityContext", "runAsNonRoot"]}
}

test_cg1003_fires_when_container_overrides_with_false if {
	inp := wt_pod(wt_restricted({"containers": [wt_c(object.union(wt_rc, {"runAsNonRoot": false}))]}))
	wt_paths(inp, "CG1003") == {["spec", "containers", 0, "securityContext", "runAsNonRoot"]}
}

test_cg1003_fires_when_pod_false_although_containers_true if {
	inp := wt_pod({"securityContext": {"runAsNonRoot": false}, "containers": [wt_c(object.union(wt_rc, {"runAsNonRoot": true}))]})
	wt_paths(inp, "CG1003") == {["spec", "securityContext", "runAsNonRoot"]}
}

test_cg1003_quiet_when_pod_true if {
	wt_quiet(wt_cronjob(wt_restricted({"initContainers": [wt_c(wt_rc)]})), "CG1003")
}

test_cg1003_quiet_when_every_container_true if {
	wt_quiet(wt_pod({"containers": [wt_c({"runAsNonRoot": true}), wt_c({"runAsNonRoot": true})]}), "CG1003")
}

test_cg1003_quiet_in_user_namespace if {
	wt_quiet(wt_pod({"hostUsers": false, "containers": [wt_c({})]}), "CG1003")
}

test_cg1003_windows_still_checked if {
	wt_fires(wt_pod({"os": {"name": "windows"}, "containers": [wt_c({})]}), "CG1003")
}

# ---------------------------------------------------------------------------------------------
# CG1004 run-as-root-user

test_cg1004_fires_on_pod_level_even_when_overridden if {
	inp := wt_deployment({"securityContext": {"runAsUser": 0}, "containers": [wt_c({"runAsUser": 1000})]})
	wt_paths(inp, "CG1004") == {["spec", "template", "spec", "securityContext", "runAsUser"]}
}

test_cg1004_fires_on_container if {
	wt_fires(wt_pod({"containers": [wt_c({"runAsUser": 0})]}), "CG1004")
}

test_cg1004_quiet_when_unset_or_nonzero if {
	wt_quiet(wt_pod({"securityContext": {"runAsUser": 1000}, "containers": [wt_c({}), wt_c({"runAsUser": 5})]}), "CG1004")
}

test_cg1004_quiet_in_user_namespace if {
	wt_quiet(wt_pod({"hostUsers": false, "securityContext": {"runAsUser": 0}, "containers": [wt_c({"runAsUser": 0})]}), "CG1004")
}

# ---------------------------------------------------------------------------------------------
# CG1005-CG1007 host namespaces

test_cg1005_fires if {
	wt_paths(wt_pod({"hostPID": true, "containers": [wt_c({})]}), "CG1005") == {["spec", "hostPID"]}
}

test_cg1005_quiet_when_false if {
	wt_quiet(wt_pod({"hostPID": false, "containers": [wt_c({})]}), "CG1005")
}

test_cg1006_fires if {
	wt_paths(wt_cronjob({"hostIPC": true, "containers": [wt_c({})]}), "CG1006") == {["spec", "jobTemplate", "spec", "template", "spec", "hostIPC"]}
}

test_cg1006_quiet_when_false if {
	wt_quiet(wt_pod({"hostIPC": false, "containers": [wt_c({})]}), "CG1006")
}

test_cg1007_fires if {
	wt_paths(wt_podtemplate({"hostNetwork": true, "containers": [wt_c({})]}), "CG1007") == {["template", "spec", "hostNetwork"]}
}

test_cg1007_quiet_when_unset if {
	wt_quiet(wt_pod({"containers": [wt_c({})]}), "CG1007")
}

# ---------------------------------------------------------------------------------------------
# CG1008 hostpath-volume

test_cg1008_fires if {
	inp := wt_pod({"containers": [wt_c({})], "volumes": [{"name": "a", "emptyDir": {}}, {"name": "b", "hostPath": {"path": "/etc"}}]})
	wt_paths(inp, "CG1008") == {["spec", "volumes", 1, "hostPath"]}
}

test_cg1008_quiet_without_hostpath if {
	wt_quiet(wt_pod({"containers": [wt_c({})], "volumes": [{"name": "a", "nfs": {"server": "s", "path": "/"}}]}), "CG1008")
}

# ---------------------------------------------------------------------------------------------
# CG1009 dangerous-capability

test_cg1009_fires_outside_baseline_set if {
	inp := wt_pod({"containers": [wt_c({"capabilities": {"add": ["CHOWN", "SYS_ADMIN"]}})]})
	wt_paths(inp, "CG1009") == {["spec", "containers", 0, "securityContext", "capabilities", "add", 1]}
}

test_cg1009_compares_names_exactly if {
	wt_fires(wt_pod({"containers": [wt_c({"capabilities": {"add": ["CAP_CHOWN"]}})]}), "CG1009")
	wt_fires(wt_pod({"containers": [wt_c({"capabilities": {"add": ["chown"]}})]}), "CG1009")
}

test_cg1009_quiet_for_baseline_set if {
	caps := ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]
	wt_quiet(wt_pod({"containers": [wt_c({"capabilities": {"add": caps}})]}), "CG1009")
}

# ---------------------------------------------------------------------------------------------
# CG1010 capabilities-not-dropped

test_cg1010_fires_without_drop_all if {
	inp := wt_pod(wt_restricted({"containers": [wt_c({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["NET_RAW"]}})]}))
	wt_paths(inp, "CG1010") == {["spec", "containers", 0, "securityContext", "capabilities", "drop"]}
}

test_cg1010_fires_on_lowercase_all if {
	wt_fires(wt_pod(wt_restricted({"containers": [wt_c({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["all"]}})]})), "CG1010")
}

test_cg1010_quiet_with_drop_all if {
	wt_quiet(wt_pod(wt_restricted({})), "CG1010")
}

test_cg1010_quiet_on_windows if {
	wt_quiet(wt_pod({"os": {"name": "windows"}, "containers": [wt_c({})]}), "CG1010")
}

# ---------------------------------------------------------------------------------------------
# CG1011 writable-root-filesystem

test_cg1011_fires if {
	wt_paths(wt_pod({"containers": [wt_c({})]}), "CG1011") == {["spec", "containers", 0, "securityContext", "readOnlyRootFilesystem"]}
}

test_cg1011_quiet_when_read_only if {
	wt_quiet(wt_pod({"containers": [wt_c({"readOnlyRootFilesystem": true})]}), "CG1011")
}

# ---------------------------------------------------------------------------------------------
# CG1012 seccomp-profile-missing

test_cg1012_fires_when_missing_everywhere if {
	inp := wt_pod({"securityContext": {"runAsNonRoot": true}, "containers": [wt_c(wt_rc)]})
	wt_paths(inp, "CG1012") == {["spec", "containers", 0, "securityContext", "seccompProfile"]}
}

test_cg1012_fires_on_uncovered_init_container if {
	inp := wt_pod({"securityContext": {"runAsNonRoot": true}, "initContainers": [wt_c(wt_rc)], "containers": [wt_c(object.union(wt_rc, {"seccompProfile": {"type": "RuntimeDefault"}}))]})
	wt_paths(inp, "CG1012") == {["spec", "initContainers", 0, "securityContext", "seccompProfile"]}
}

test_cg1012_fires_on_bad_type if {
	inp := wt_pod(wt_restricted({"containers": [wt_c(object.union(wt_rc, {"seccompProfile": {"type": "Bogus"}}))]}))
	wt_paths(inp, "CG1012") == {["spec", "containers", 0, "securityContext", "seccompProfile", "type"]}
}

test_cg1012_leaves_unconfined_to_cg1013 if {
	inp := wt_pod(wt_restricted({"containers": [wt_c(object.union(wt_rc, {"seccompProfile": {"type": "Unconfined"}}))]}))
	wt_quiet(inp, "CG1012")
	wt_fires(inp, "CG1013")
}

test_cg1012_quiet_with_pod_level if {
	wt_quiet(wt_pod(wt_restricted({})), "CG1012")
}

test_cg1012_quiet_with_container_level_localhost if {
	sc := object.union(wt_rc, {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})
	wt_quiet(wt_pod({"securityContext": {"runAsNonRoot": true}, "containers": [wt_c(sc)]}), "CG1012")
}

test_cg1012_quiet_on_windows if {
	wt_quiet(wt_pod({"os": {"name": "windows"}, "containers": [wt_c({})]}), "CG1012")
}

# ---------------------------------------------------------------------------------------------
# CG1013 seccomp-unconfined

test_cg1013_fires_on_pod if {
	inp := wt_pod({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [wt_c({"seccompProfile": {"type": "RuntimeDefault"}})]})
	wt_paths(inp, "CG1013") == {["spec", "securityContext", "seccompProfile", "type"]}
}

test_cg1013_fires_on_container_overriding_pod if {
	inp := wt_pod({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [wt_c({"seccompProfile": {"type": "Unconfined"}})]})
	wt_paths(inp, "CG1013") == {["spec", "containers", 0, "securityContext", "seccompProfile", "type"]}
}

test_cg1013_quiet_when_unset if {
	wt_quiet(wt_pod({"containers": [wt_c({})]}), "CG1013")
}

test_cg1013_ignores_legacy_annotations if {
	inp := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}, "spec": {"containers": [wt_c({})]}}
	wt_quiet(inp, "CG1013")
}

# ---------------------------------------------------------------------------------------------
# CG1014 host-port

test_cg1014_fires if {
	inp := wt_pod({"initContainers": [{"name": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}], "containers": [wt_c({})]})
	wt_paths(inp, "CG1014") == {["spec", "initContainers", 0, "ports", 0, "hostPort"]}
}

test_cg1014_quiet_for_zero if {
	wt_quiet(wt_pod({"containers": [{"name": "c", "ports": [{"containerPort": 80, "hostPort": 0}, {"containerPort": 81}]}]}), "CG1014")
}

# ---------------------------------------------------------------------------------------------
# CG1015 unmasked-proc-mount and CG1024 proc-mount-in-user-namespace

test_cg1015_fires if {
	wt_paths(wt_pod({"containers": [wt_c({"procMount": "Unmasked"})]}), "CG1015") == {["spec", "containers", 0, "securityContext", "procMount"]}
}

test_cg1015_quiet_for_default if {
	wt_quiet(wt_pod({"containers": [wt_c({"procMount": "Default"})]}), "CG1015")
}

test_cg1015_quiet_in_user_namespace_but_cg1024_fires if {
	inp := wt_pod({"hostUsers": false, "containers": [wt_c({"procMount": "Unmasked"})]})
	wt_quiet(inp, "CG1015")
	wt_paths(inp, "CG1024") == {["spec", "containers", 0, "securityContext", "procMount"]}
}

test_cg1024_quiet_outside_user_namespace if {
	wt_quiet(wt_pod({"containers": [wt_c({"procMount": "Unmasked"})]}), "CG1024")
}

test_cg1024_quiet_for_default if {
	wt_quiet(wt_pod({"hostUsers": false, "containers": [wt_c({"procMount": "Default"})]}), "CG1024")
}

# ---------------------------------------------------------------------------------------------
# CG1016 apparmor-unconfined

test_cg1016_fires_on_annotation_and_fields if {
	inp := {
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": "p", "annotations": {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}},
		"spec": {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, "containers": [wt_c({"appArmorProfile": {"type": "Unconfined"}})]},
	}
	wt_paths(inp, "CG1016") == {
		["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/c"],
		["spec", "securityContext", "appArmorProfile", "type"],
		["spec", "containers", 0, "securityContext", "appArmorProfile", "type"],
	}
}

test_cg1016_quiet_for_allowed_values if {
	inp := {
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": "p", "annotations": {
			"container.apparmor.security.beta.kubernetes.io/a": "runtime/default",
			"container.apparmor.security.beta.kubernetes.io/b": "localhost/k8s-b",
			"container.apparmor.security.beta.kubernetes.io/c": "",
		}},
		"spec": {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}, "containers": [wt_c({"appArmorProfile": {"type": "Localhost", "localhostProfile": "x"}})]},
	}
	wt_quiet(inp, "CG1016")
}

# ---------------------------------------------------------------------------------------------
# CG1017 container-runtime-socket-mount

test_cg1017_fires if {
	inp := wt_pod({"containers": [wt_c({})], "volumes": [{"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}]})
	wt_paths(inp, "CG1017") == {["spec", "volumes", 0, "hostPath", "path"]}
}

test_cg1017_quiet_for_other_host_paths if {
	wt_quiet(wt_pod({"containers": [wt_c({})], "volumes": [{"name": "l", "hostPath": {"path": "/var/log"}}]}), "CG1017")
}

# ---------------------------------------------------------------------------------------------
# CG1018 unsafe-sysctl

test_cg1018_fires if {
	inp := wt_pod({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax", "value": "1"}]}, "containers": [wt_c({})]})
	wt_paths(inp, "CG1018") == {["spec", "securityContext", "sysctls", 1, "name"]}
}

test_cg1018_compares_names_exactly if {
	wt_fires(wt_pod({"securityContext": {"sysctls": [{"name": "net/ipv4/tcp_syncookies", "value": "1"}]}, "containers": [wt_c({})]}), "CG1018")
}

test_cg1018_quiet_for_the_safe_set if {
	names := [
		"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
		"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
	]
	sysctls := [{"name": n, "value": "1"} | some n in names]
	wt_quiet(wt_pod({"securityContext": {"sysctls": sysctls}, "containers": [wt_c({})]}), "CG1018")
}

# ---------------------------------------------------------------------------------------------
# CG1019 selinux-custom-options

test_cg1019_fires_on_type_user_and_role if {
	inp := wt_pod({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}, "containers": [wt_c({"seLinuxOptions": {"user": "system_u", "role": "system_r", "level": "s0"}})]})
	wt_paths(inp, "CG1019") == {
		["spec", "securityContext", "seLinuxOptions", "type"],
		["spec", "containers", 0, "securityContext", "seLinuxOptions", "user"],
		["spec", "containers", 0, "securityContext", "seLinuxOptions", "role"],
	}
}

test_cg1019_quiet_for_standard_types if {
	cs := [wt_c({"seLinuxOptions": {"type": t, "level": "s0:c1,c2"}}) | some t in ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]]
	wt_quiet(wt_pod({"securityContext": {"seLinuxOptions": {"level": "s0"}}, "containers": cs}), "CG1019")
}

# ---------------------------------------------------------------------------------------------
# CG1020 windows-host-process

test_cg1020_fires_on_pod_and_ephemeral if {
	inp := wt_pod({"os": {"name": "windows"}, "securityContext": {"windowsOptions": {"hostProcess": true}}, "containers": [wt_c({})], "ephemeralContainers": [wt_c({"windowsOptions": {"hostProcess": true}})]})
	wt_paths(inp, "CG1020") == {
		["spec", "securityContext", "windowsOptions", "hostProcess"],
		["spec", "ephemeralContainers", 0, "securityContext", "windowsOptions", "hostProcess"],
	}
}

test_cg1020_quiet_when_false if {
	wt_quiet(wt_pod({"securityContext": {"windowsOptions": {"hostProcess": false}}, "containers": [wt_c({"windowsOptions": {"runAsUserName": "ContainerUser"}})]}), "CG1020")
}

# ---------------------------------------------------------------------------------------------
# CG1021 probe-host-field

test_cg1021_fires_on_probes_and_hooks if {
	c := {
		"name": "c",
		"readinessProbe": {"tcpSocket": {"host": "10.0.0.1", "port": 1}},
		"startupProbe": {"httpGet": {"host": "example.com", "port": 80}},
		"lifecycle": {"postStart": {"httpGet": {"host": "169.254.169.254", "port": 80}}},
	}
	wt_paths(wt_pod({"containers": [c]}), "CG1021") == {
		["spec", "containers", 0, "readinessProbe", "tcpSocket", "host"],
		["spec", "containers", 0, "startupProbe", "httpGet", "host"],
		["spec", "containers", 0, "lifecycle", "postStart", "httpGet", "host"],
	}
}

test_cg1021_quiet_without_host if {
	c := {"name": "c", "livenessProbe": {"httpGet": {"host": "", "port": 80}}, "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}}}
	wt_quiet(wt_pod({"containers": [c]}), "CG1021")
}

# ---------------------------------------------------------------------------------------------
# CG1022 restricted-capability-added

test_cg1022_fires_for_baseline_capability if {
	inp := wt_pod(wt_restricted({"containers": [wt_c({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "SETUID"]}})]}))
	wt_paths(inp, "CG1022") == {["spec", "containers", 0, "securityContext", "capabilities", "add", 1]}
}

test_cg1022_leaves_other_capabilities_to_cg1009 if {
	inp := wt_pod(wt_restricted({"containers": [wt_c({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}})]}))
	wt_quiet(inp, "CG1022")
	wt_fires(inp, "CG1009")
}

test_cg1022_quiet_for_net_bind_service if {
	wt_quiet(wt_pod(wt_restricted({"containers": [wt_c({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})]})), "CG1022")
}

# ---------------------------------------------------------------------------------------------
# CG1023 restricted-volume-type

test_cg1023_fires_for_nfs_not_hostpath if {
	inp := wt_pod(wt_restricted({"volumes": [{"name": "n", "nfs": {"server": "s", "path": "/"}}, {"name": "h", "hostPath": {"path": "/"}}]}))
	wt_paths(inp, "CG1023") == {["spec", "volumes", 0, "nfs"]}
}

test_cg1023_quiet_for_allowed_types if {
	vols := [
		{"name": "a", "configMap": {"name": "x"}}, {"name": "b", "csi": {"driver": "d"}},
		{"name": "c", "downwardAPI": {}}, {"name": "d", "emptyDir": {}}, {"name": "e", "ephemeral": {}},
		{"name": "f", "image": {"reference": "r"}}, {"name": "g", "persistentVolumeClaim": {"claimName": "x"}},
		{"name": "h", "projected": {"sources": []}}, {"name": "i", "secret": {"secretName": "x"}},
		{"name": "j"},
	]
	wt_quiet(wt_pod(wt_restricted({"volumes": vols})), "CG1023")
}

# ---------------------------------------------------------------------------------------------
# CG1025 workload-violates-namespace-pod-security

wt_inventory(level) := {"cluster": {"v1": {"Namespace": {"t": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t", "labels": {"pod-security.kubernetes.io/enforce": level}}}}}}}

wt_ns_findings(inp, level) := fs if {
	fs := deny with input as inp with data.inventory as wt_inventory(level)
}

wt_ns_paths(inp, level) := {f.path | some f in wt_ns_findings(inp, level); f.id == "CG1025"}

test_cg1025_restricted_reports_every_violation if {
	inp := wt_pod({"containers": [wt_c({})]})
	wt_ns_paths(inp, "restricted") == {
		["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"],
		["spec", "containers", 0, "securityContext", "capabilities", "drop"],
		["spec", "containers", 0, "securityContext", "runAsNonRoot"],
		["spec", "containers", 0, "securityContext", "seccompProfile"],
	}
}

test_cg1025_baseline_reports_baseline_violations_only if {
	inp := wt_deployment({"hostNetwork": true, "containers": [wt_c({})]})
	wt_ns_paths(inp, "baseline") == {["spec", "template", "spec", "hostNetwork"]}
}

test_cg1025_quiet_for_privileged_and_unknown_levels if {
	inp := wt_pod({"hostNetwork": true, "containers": [wt_c({"privileged": true})]})
	count(wt_ns_paths(inp, "privileged")) == 0
	count(wt_ns_paths(inp, "Restricted")) == 0
}

test_cg1025_quiet_without_namespace_in_scan if {
	wt_quiet(wt_pod({"hostNetwork": true, "containers": [wt_c({})]}), "CG1025")
}

test_cg1025_quiet_for_compliant_pod if {
	count(wt_ns_paths(wt_pod(wt_restricted({})), "restricted")) == 0
}

# ---------------------------------------------------------------------------------------------
# CG1026 run-as-root-group

test_cg1026_fires if {
	inp := wt_pod({"securityContext": {"fsGroup": 0, "supplementalGroups": [0]}, "containers": [wt_c({"runAsGroup": 0})]})
	wt_paths(inp, "CG1026") == {
		["spec", "securityContext", "fsGroup"],
		["spec", "securityContext", "supplementalGroups", 0],
		["spec", "containers", 0, "securityContext", "runAsGroup"],
	}
}

test_cg1026_quiet_for_nonzero_groups if {
	wt_quiet(wt_pod({"securityContext": {"runAsGroup": 1, "fsGroup": 2, "supplementalGroups": [3]}, "containers": [wt_c({"runAsGroup": 4})]}), "CG1026")
}

# ---------------------------------------------------------------------------------------------
# CG1027 net-raw-capability

test_cg1027_fires_when_kept_or_added_back if {
	inp := wt_pod({"containers": [wt_c({}), wt_c({"capabilities": {"drop": ["ALL"], "add": ["NET_RAW"]}})]})
	wt_paths(inp, "CG1027") == {
		["spec", "containers", 0, "securityContext", "capabilities", "drop"],
		["spec", "containers", 1, "securityContext", "capabilities", "add", 0],
	}
}

test_cg1027_quiet_when_dropped if {
	wt_quiet(wt_pod({"containers": [wt_c({"capabilities": {"drop": ["net_raw"]}}), wt_c({"capabilities": {"drop": ["ALL"]}})]}), "CG1027")
}

# ---------------------------------------------------------------------------------------------
# Levels as a whole, and robustness

test_restricted_pod_meets_both_levels if {
	inp := wt_cronjob(wt_restricted({"initContainers": [wt_c(wt_rc)], "ephemeralContainers": [wt_c(wt_rc)]}))
	count(wt_restricted_violations(inp)) == 0
}

test_default_pod_meets_baseline_only if {
	inp := wt_pod({"containers": [{"name": "c", "image": "nginx"}]})
	count(wt_baseline(inp)) == 0
	count(wt_restricted_violations(inp)) == 4
}

test_windows_restricted_pod_needs_only_run_as_non_root if {
	inp := wt_pod({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true}, "containers": [{"name": "c"}]})
	count(wt_restricted_violations(inp)) == 0
}

test_user_namespace_pod_may_run_as_root if {
	inp := wt_pod({"hostUsers": false, "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}, "containers": [wt_c(wt_rc)]})
	count(wt_restricted_violations(inp)) == 0
}

test_every_violation_names_its_control if {
	inp := wt_pod({"hostPID": true, "securityContext": {"sysctls": [{"name": "kernel.msgmax"}]}, "containers": [wt_c({"privileged": true})], "volumes": [{"name": "n", "nfs": {}}]})
	controls := {v.control | some v in wt_restricted_violations(inp)}
	controls == {"host-namespaces", "sysctls", "privileged-containers", "volume-types", "privilege-escalation", "running-as-non-root", "seccomp", "capabilities"}
}

wt_malformed := [
	wt_pod({"containers": "nope"}),
	wt_pod({"containers": [1, "x", null, {"name": 5, "securityContext": "x", "ports": 3, "livenessProbe": "x", "lifecycle": {"preStop": 7}}]}),
	wt_pod({"securityContext": "x", "containers": [wt_c({"capabilities": "ALL", "seccompProfile": "RuntimeDefault", "seLinuxOptions": "x", "appArmorProfile": 3, "windowsOptions": []})]}),
	wt_pod({"securityContext": {"sysctls": [1, {"name": 3}, "x"], "seLinuxOptions": {"type": 3, "user": 4}, "supplementalGroups": "0", "appArmorProfile": {"type": null}}, "containers": [wt_c({"capabilities": {"add": [1, null, {}], "drop": "ALL"}})], "volumes": [1, "x", {"name": 3, "hostPath": "x"}, {"nfs": null}]}),
	{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 3, "namespace": [], "annotations": {"container.apparmor.security.beta.kubernetes.io/c": 5}}, "spec": {"containers": [{"ports": [{"hostPort": "80"}]}]}},
	{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": "x"}},
	{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": "x", "spec": null},
	{"apiVersion": "v1", "kind": "PodTemplate", "template": {"metadata": {"annotations": "x"}, "spec": {"containers": [{}]}}},
]

test_malformed_input_never_errors if {
	every inp in wt_malformed {
		is_set(wt_findings(inp))
		is_set(wt_ns_findings(inp, "restricted"))
	}
}

# Workload kinds of other APIs get the pod checks

test_deployment_config_rollout_and_cloneset_are_checked if {
	spec := {"containers": [wt_c({"privileged": true})]}
	dc := {"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig", "metadata": {"name": "d", "namespace": "t"}, "spec": {"template": {"spec": spec}}}
	ro := object.union(dc, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout"})
	cs := object.union(dc, {"apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet"})
	count([obj | some obj in [dc, ro, cs]; "CG1001" in {f.id | some f in deny with input as obj}]) == 3
	not "CG1001" in {f.id | some f in deny with input as object.union(dc, {"apiVersion": "example.com/v1", "kind": "Rollout"})}
}

# CG1003 says what is really missing

test_cg1003_message_with_non_root_user if {
	fs := [f | some f in deny with input as wt_pod({"securityContext": {"runAsUser": 1000}, "containers": [wt_c({})]}); f.id == "CG1003"]
	count(fs) == 1
	contains(fs[0].msg, "runs as user 1000")
	contains(fs[0].msg, "runAsNonRoot: true")
	not contains(fs[0].msg, "may run as root")
}

test_cg1003_message_without_user if {
	fs := [f | some f in deny with input as wt_pod({"containers": [wt_c({})]}); f.id == "CG1003"]
	contains(fs[0].msg, "may run as root")
}

# CG1018 follows the target release

test_cg1018_follows_kube_version if {
	pod := wt_pod({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}]}, "containers": [wt_c({})]})
	not "CG1018" in {f.id | some f in deny with input as pod}
	old := [f | some f in deny with input as pod with data.settings as {"kube_major": 1, "kube_minor": 31, "kube_version": "1.31"}; f.id == "CG1018"]
	count(old) == 1
	contains(old[0].msg, "safe only from Kubernetes 1.32 on (target 1.31)")
	"CG1018" in {f.id | some f in deny with input as pod with data.settings as {"kube_major": 1, "kube_minor": 28, "kube_version": "1.28"}}
	not "CG1018" in {f.id | some f in deny with input as pod with data.settings as {"kube_major": 1, "kube_minor": 32, "kube_version": "1.32"}}
}
