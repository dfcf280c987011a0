# Pod Security Standards, control by control, as the PodSecurity admission controller of the
# newest Kubernetes release (1.37) enforces them at policy version "latest".
#
# Sources: https://kubernetes.io/docs/concepts/security/pod-security-standards/ and the checks
# in k8s.io/pod-security-admission/policy (check_*.go), which are authoritative where the page
# lags behind: `image` volumes are allowed by restricted (1.33+), net.ipv4.tcp_rmem/tcp_wmem
# (1.32+) and net.ipv4.tcp_slow_start_after_idle/tcp_notsent_lowat (1.37+) are safe sysctls,
# pods with `hostUsers: false` are exempt from the restricted runAsNonRoot/runAsUser checks
# and from the baseline (not the restricted) /proc mount check (1.35+), and probes and
# lifecycle hooks must not set `host` (1.34+).
#
# Semantics kept exactly: unset and explicitly set differ (baseline forbids only explicit bad
# values, restricted requires explicit good ones); a container-level setting overrides the
# pod-level one where the standard says so; init and ephemeral containers count like the others;
# the restricted seccomp, capabilities and privilege-escalation controls do not apply to
# `spec.os.name: windows` pods. Values are compared exactly as the admission controller does
# (case-sensitive, no `CAP_` prefix stripping).
#
# Every violation is {"control": ..., "msg": ..., "path": [...]}. `baseline` holds every
# violation of the baseline level, `restricted` every violation of the restricted level. The
# restricted-only sets never repeat what a baseline set already reports for the same field
# (an Unconfined seccomp profile, a capability outside the baseline list, a hostPath volume),
# so selecting both levels' rules reports each problem once.
package confgate.lib.pss

# ---------------------------------------------------------------------------------------------
# Helpers

# obj[key], or d when obj is not an object or lacks the key (never undefined, never an error).
get(obj, key, d) := object.get(obj, key, d) if is_object(obj)

get(obj, key, d) := d if not is_object(obj)

# The pod-level securityContext of a pod from k8s.pods, or {}.
pod_context(p) := sc if {
	sc := get(p.spec, "securityContext", {})
	is_object(sc)
}

pod_context(p) := {} if not is_object(get(p.spec, "securityContext", {}))

# The container's own securityContext, or {}.
container_context(c) := data.confgate.lib.k8s.container_sc(c)

# The pod runs in a user namespace (`hostUsers: false`): 1.35+ relaxes some checks.
user_namespace(p) if p.spec.hostUsers == false

# Linux-only restricted controls do not apply to Windows pods.
windows(p) if data.confgate.lib.k8s.windows_pod(p)

# How a container is named in messages.
who(c) := sprintf("%s %q", [container_kind[c.type], data.confgate.lib.k8s.container_name(c)])

container_kind := {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container"}

# How the pod (template) is named in messages.
pod_who := sprintf("%s %q", [input.kind, data.confgate.lib.k8s.name])

pod_path(p, fields) := array.concat(p.path, fields)

container_path(c, fields) := array.concat(c.path, fields)

# ---------------------------------------------------------------------------------------------
# Baseline

# HostProcess: windowsOptions.hostProcess must be unset or false (pod and every container).
host_process contains v if {
	some p in data.confgate.lib.k8s.pods
	pod_context(p).windowsOptions.hostProcess == true
	v := {
		"control": "host-process",
		"msg": sprintf("%s runs Windows HostProcess containers (windowsOptions.hostProcess: true), with full access to the node", [pod_who]),
		"path": pod_path(p, ["securityContext", "windowsOptions", "hostProcess"]),
	}
}

host_process contains v if {
	some c in data.confgate.lib.k8s.containers
	container_context(c).windowsOptions.hostProcess == true
	v := {
		"control": "host-process",
		"msg": sprintf("%s runs as a Windows HostProcess container (windowsOptions.hostProcess: true), with full access to the node", [who(c)]),
		"path": container_path(c, ["securityContext", "windowsOptions", "hostProcess"]),
	}
}

# Host namespaces: hostPID, hostIPC and hostNetwork must be unset or false.
host_pid contains v if {
	some p in data.confgate.lib.k8s.pods
	p.spec.hostPID == true
	v := {
		"control": "host-namespaces",
		"msg": sprintf("%s shares the host's process ID namespace (hostPID: true)", [pod_who]),
		"path": pod_path(p, ["hostPID"]),
	}
}

host_ipc contains v if {
	some p in data.confgate.lib.k8s.pods
	p.spec.hostIPC == true
	v := {
		"control": "host-namespaces",
		"msg": sprintf("%s shares the host's IPC namespace (hostIPC: true)", [pod_who]),
		"path": pod_path(p, ["hostIPC"]),
	}
}

host_network contains v if {
	some p in data.confgate.lib.k8s.pods
	p.spec.hostNetwork == true
	v := {
		"control": "host-namespaces",
		"msg": sprintf("%s uses the host's network namespace (hostNetwork: true)", [pod_who]),
		"path": pod_path(p, ["hostNetwork"]),
	}
}

# Privileged containers: securityContext.privileged must be unset or false.
privileged contains v if {
	some c in data.confgate.lib.k8s.containers
	container_context(c).privileged == true
	v := {
		"control": "privileged-containers",
		"msg": sprintf("%s runs privileged; it has full access to the host", [who(c)]),
		"path": container_path(c, ["securityContext", "privileged"]),
	}
}

# Capabilities a container may add under baseline.
baseline_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

capabilities_added contains v if {
	some c in data.confgate.lib.k8s.containers
	some i, cap in data.confgate.lib.k8s.list(container_context(c).capabilities.add)
	not cap in baseline_capabilities
	v := {
		"control": "capabilities",
		"msg": sprintf("%s adds capability %q, which is outside the baseline set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT)", [who(c), data.confgate.lib.k8s.text(cap)]),
		"path": container_path(c, ["securityContext", "capabilities", "add", i]),
	}
}

# HostPath volumes are forbidden.
hostpath_volumes contains v if {
	some p in data.confgate.lib.k8s.pods
	some i, vol in data.confgate.lib.k8s.list(p.spec.volumes)
	vol.hostPath != null
	v := {
		"control": "hostpath-volumes",
		"msg": sprintf("volume %q of %s mounts %q from the node (hostPath)", [data.confgate.lib.k8s.text(get(vol, "name", "")), pod_who, data.confgate.lib.k8s.text(get(vol.hostPath, "path", ""))]),
		"path": pod_path(p, ["volumes", i, "hostPath"]),
	}
}

# Host ports: hostPort must be unset or 0.
host_ports contains v if {
	some c in data.confgate.lib.k8s.containers
	some i, port in data.confgate.lib.k8s.list(c.container.ports)
	hp := port.hostPort
	not hp in {null, 0, "0"}
	v := {
		"control": "host-ports",
		"msg": sprintf("%s binds host port %v on the node", [who(c), hp]),
		"path": container_path(c, ["ports", i, "hostPort"]),
	}
}

# AppArmor: the profile type may only be RuntimeDefault or Localhost (or unset); the legacy
# annotations may only be empty, runtime/default or localhost/<profile>.
apparmor_types := {"RuntimeDefault", "Localhost"}

apparmor contains v if {
	some p in data.confgate.lib.k8s.pods
	profile := pod_context(p).appArmorProfile
	profile != null
	t := get(profile, "type", "")
	not t in apparmor_types
	v := {
		"control": "apparmor",
		"msg": sprintf("%s sets AppArmor profile type %q; only RuntimeDefault and Localhost are allowed", [pod_who, data.confgate.lib.k8s.text(t)]),
		"path": pod_path(p, ["securityContext", "appArmorProfile", "type"]),
	}
}

apparmor contains v if {
	some c in data.confgate.lib.k8s.containers
	profile := container_context(c).appArmorProfile
	profile != null
	t := get(profile, "type", "")
	not t in apparmor_types
	v := {
		"control": "apparmor",
		"msg": sprintf("%s sets AppArmor profile type %q; only RuntimeDefault and Localhost are allowed", [who(c), data.confgate.lib.k8s.text(t)]),
		"path": container_path(c, ["securityContext", "appArmorProfile", "type"]),
	}
}

apparmor contains v if {
	some key, value in data.confgate.lib.k8s.pod_annotations
	is_string(key)
	startswith(key, "container.apparmor.security.beta.kubernetes.io/")
	not apparmor_annotation_allowed(value)
	v := {
		"control": "apparmor",
		"msg": sprintf("annotation %q sets AppArmor profile %q; only runtime/default and localhost/<profile> are allowed", [key, data.confgate.lib.k8s.text(value)]),
		"path": array.concat(data.confgate.lib.k8s.pod_metadata_path, ["annotations", key]),
	}
}

apparmor_annotation_allowed(value) if value == ""

apparmor_annotation_allowed(value) if value == "runtime/default"

apparmor_annotation_allowed(value) if {
	is_string(value)
	startswith(value, "localhost/")
}

# SELinux: the type may only be one of the standard container types; user and role must be
# unset or empty.
selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

selinux_sites contains {"opts": opts, "path": pod_path(p, ["securityContext", "seLinuxOptions"]), "who": pod_who} if {
	some p in data.confgate.lib.k8s.pods
	opts := pod_context(p).seLinuxOptions
	opts != null
}

selinux_sites contains {"opts": opts, "path": container_path(c, ["securityContext", "seLinuxOptions"]), "who": who(c)} if {
	some c in data.confgate.lib.k8s.containers
	opts := container_context(c).seLinuxOptions
	opts != null
}

selinux contains v if {
	some s in selinux_sites
	t := get(s.opts, "type", "")
	t != null
	not t in selinux_types
	v := {
		"control": "selinux",
		"msg": sprintf("%s sets SELinux type %q; only container_t, container_init_t, container_kvm_t and container_engine_t are allowed", [s.who, data.confgate.lib.k8s.text(t)]),
		"path": array.concat(s.path, ["type"]),
	}
}

selinux contains v if {
	some s in selinux_sites
	some field in ["user", "role"]
	x := get(s.opts, field, "")
	not x in {null, ""}
	v := {
		"control": "selinux",
		"msg": sprintf("%s sets a custom SELinux %s %q", [s.who, field, data.confgate.lib.k8s.text(x)]),
		"path": array.concat(s.path, [field]),
	}
}

# /proc mount type: procMount must be unset or Default; pods in a user namespace may use any
# value under baseline (restricted still forbids it, see proc_mount_user_namespace).
proc_mount contains v if {
	some c in data.confgate.lib.k8s.containers
	not user_namespace(c.pod)
	pm := container_context(c).procMount
	not pm in {null, "Default"}
	v := {
		"control": "proc-mount",
		"msg": sprintf("%s mounts /proc with procMount %q instead of Default, exposing host kernel information", [who(c), data.confgate.lib.k8s.text(pm)]),
		"path": container_path(c, ["securityContext", "procMount"]),
	}
}

# Seccomp: the profile type must not be Unconfined (pod or container).
seccomp_unconfined contains v if {
	some p in data.confgate.lib.k8s.pods
	pod_context(p).seccompProfile.type == "Unconfined"
	v := {
		"control": "seccomp",
		"msg": sprintf("%s disables seccomp for its pod (seccompProfile.type: Unconfined)", [pod_who]),
		"path": pod_path(p, ["securityContext", "seccompProfile", "type"]),
	}
}

seccomp_unconfined contains v if {
	some c in data.confgate.lib.k8s.containers
	container_context(c).seccompProfile.type == "Unconfined"
	v := {
		"control": "seccomp",
		"msg": sprintf("%s disables seccomp (seccompProfile.type: Unconfined)", [who(c)]),
		"path": container_path(c, ["securityContext", "seccompProfile", "type"]),
	}
}

# Sysctls: only the safe set of the target release (--kube-version): each safe sysctl with
# the minor release whose kubelet and PodSecurity admission first accept it; before that
# release the kubelet rejects the pod unless the node allows the sysctl as unsafe.
safe_sysctls_since := {
	"kernel.shm_rmid_forced": 0,
	"net.ipv4.ip_local_port_range": 0,
	"net.ipv4.tcp_syncookies": 0,
	"net.ipv4.ping_group_range": 0,
	"net.ipv4.ip_unprivileged_port_start": 22,
	"net.ipv4.ip_local_reserved_ports": 27,
	"net.ipv4.tcp_keepalive_time": 29,
	"net.ipv4.tcp_fin_timeout": 29,
	"net.ipv4.tcp_keepalive_intvl": 29,
	"net.ipv4.tcp_keepalive_probes": 29,
	"net.ipv4.tcp_rmem": 32,
	"net.ipv4.tcp_wmem": 32,
	"net.ipv4.tcp_slow_start_after_idle": 37,
	"net.ipv4.tcp_notsent_lowat": 37,
}

safe_sysctls := {name | some name, since in safe_sysctls_since; data.confgate.lib.apis.reached(since)}

# Why a sysctl is not safe, for the message.
sysctl_unsafe_why(name) := sprintf("which is safe only from Kubernetes 1.%d on (target %s)", [safe_sysctls_since[name], data.confgate.lib.apis.target]) if {
	safe_sysctls_since[name]
} else := "which is not in the safe set and can affect other pods or the node"

sysctls contains v if {
	some p in data.confgate.lib.k8s.pods
	some i, s in data.confgate.lib.k8s.list(pod_context(p).sysctls)
	name := get(s, "name", "")
	not name in safe_sysctls
	v := {
		"control": "sysctls",
		"msg": sprintf("%s sets sysctl %q, %s", [pod_who, data.confgate.lib.k8s.text(name), sysctl_unsafe_why(name)]),
		"path": pod_path(p, ["securityContext", "sysctls", i, "name"]),
	}
}

# Host probes and lifecycle hooks: httpGet/tcpSocket handlers must not set `host`.
probe_host contains v if {
	some c in data.confgate.lib.k8s.containers
	some probe in ["livenessProbe", "readinessProbe", "startupProbe"]
	some action in ["httpGet", "tcpSocket"]
	host := c.container[probe][action].host
	not host in {null, ""}
	v := {
		"control": "host-probes-lifecycle-hooks",
		"msg": sprintf("%s sends its %s to host %q instead of the pod", [who(c), probe, data.confgate.lib.k8s.text(host)]),
		"path": container_path(c, [probe, action, "host"]),
	}
}

probe_host contains v if {
	some c in data.confgate.lib.k8s.containers
	some hook in ["postStart", "preStop"]
	some action in ["httpGet", "tcpSocket"]
	host := c.container.lifecycle[hook][action].host
	not host in {null, ""}
	v := {
		"control": "host-probes-lifecycle-hooks",
		"msg": sprintf("%s sends its %s hook to host %q instead of the pod", [who(c), hook, data.confgate.lib.k8s.text(host)]),
		"path": container_path(c, ["lifecycle", hook, action, "host"]),
	}
}

# ---------------------------------------------------------------------------------------------
# Restricted (in addition to baseline)

# Volume types: only these sources (a hostPath volume is reported by hostpath_volumes).
restricted_volume_sources := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret",
}

volume_types contains v if {
	some p in data.confgate.lib.k8s.pods
	some i, vol in data.confgate.lib.k8s.list(p.spec.volumes)
	is_object(vol)
	not restricted_volume_allowed(vol)
	some key, value in vol
	not key in {"name", "hostPath"}
	value != null
	v := {
		"control": "volume-types",
		"msg": sprintf("volume %q of %s uses the %s volume type; restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret", [data.confgate.lib.k8s.text(get(vol, "name", "")), pod_who, key]),
		"path": pod_path(p, ["volumes", i, key]),
	}
}

restricted_volume_allowed(vol) if {
	some key in restricted_volume_sources
	vol[key] != null
}

# Privilege escalation: allowPrivilegeEscalation must be explicitly false (not on Windows).
privilege_escalation contains v if {
	some c in data.confgate.lib.k8s.containers
	not windows(c.pod)
	not container_context(c).allowPrivilegeEscalation == false
	v := {
		"control": "privilege-escalation",
		"msg": sprintf("%s does not set allowPrivilegeEscalation: false; its processes can gain more privileges than their parent", [who(c)]),
		"path": container_path(c, ["securityContext", "allowPrivilegeEscalation"]),
	}
}

# Running as non-root: runAsNonRoot must be true on the pod or on every container, and nothing
# may set it to false (not for pods in a user namespace).
run_as_non_root contains v if {
	some p in data.confgate.lib.k8s.pods
	not user_namespace(p)
	value := pod_context(p).runAsNonRoot
	value != null
	value != true
	v := {
		"control": "running-as-non-root",
		"msg": sprintf("%s sets runAsNonRoot: %v; it must be true", [pod_who, value]),
		"path": pod_path(p, ["securityContext", "runAsNonRoot"]),
	}
}

run_as_non_root contains v if {
	some c in data.confgate.lib.k8s.containers
	not user_namespace(c.pod)
	value := container_context(c).runAsNonRoot
	value != null
	value != true
	v := {
		"control": "running-as-non-root",
		"msg": sprintf("%s sets runAsNonRoot: %v; it must be true", [who(c), value]),
		"path": container_path(c, ["securityContext", "runAsNonRoot"]),
	}
}

run_as_non_root contains v if {
	some c in data.confgate.lib.k8s.containers
	not user_namespace(c.pod)
	get(container_context(c), "runAsNonRoot", null) == null
	not pod_context(c.pod).runAsNonRoot == true
	v := {
		"control": "running-as-non-root",
		"msg": run_as_non_root_missing_msg(c),
		"path": container_path(c, ["securityContext", "runAsNonRoot"]),
	}
}

# What a container without runAsNonRoot is missing: with a non-zero runAsUser (its own or the
# pod's) it does not run as root, but the restricted level still requires runAsNonRoot: true;
# without one, the image's user decides and may be root.
run_as_non_root_missing_msg(c) := sprintf("%s runs as user %v (runAsUser) but does not set runAsNonRoot: true, which the restricted level requires on the container or the pod", [who(c), uid]) if {
	uid := data.confgate.lib.k8s.effective_sc(c, "runAsUser")
	is_number(uid)
	uid > 0
} else := sprintf("%s may run as root: runAsNonRoot is true neither on the container nor on the pod, so the image's user decides", [who(c)])

# Running as non-root user: runAsUser must not be 0 (pod or container; not for pods in a user
# namespace).
run_as_user contains v if {
	some p in data.confgate.lib.k8s.pods
	not user_namespace(p)
	pod_context(p).runAsUser == 0
	v := {
		"control": "running-as-non-root-user",
		"msg": sprintf("%s sets runAsUser: 0 (root)", [pod_who]),
		"path": pod_path(p, ["securityContext", "runAsUser"]),
	}
}

run_as_user contains v if {
	some c in data.confgate.lib.k8s.containers
	not user_namespace(c.pod)
	container_context(c).runAsUser == 0
	v := {
		"control": "running-as-non-root-user",
		"msg": sprintf("%s sets runAsUser: 0 (root)", [who(c)]),
		"path": container_path(c, ["securityContext", "runAsUser"]),
	}
}

# Seccomp: RuntimeDefault or Localhost must be set on the pod or on every container (not on
# Windows). An explicit Unconfined is reported by seccomp_unconfined.
seccomp_types := {"RuntimeDefault", "Localhost"}

pod_seccomp_allowed(p) if pod_context(p).seccompProfile.type in seccomp_types

seccomp_missing contains v if {
	some p in data.confgate.lib.k8s.pods
	not windows(p)
	profile := pod_context(p).seccompProfile
	profile != null
	t := get(profile, "type", "")
	not t in seccomp_types
	t != "Unconfined"
	v := {
		"control": "seccomp",
		"msg": sprintf("%s sets seccomp profile type %q; it must be RuntimeDefault or Localhost", [pod_who, data.confgate.lib.k8s.text(t)]),
		"path": pod_path(p, ["securityContext", "seccompProfile", "type"]),
	}
}

seccomp_missing contains v if {
	some c in data.confgate.lib.k8s.containers
	not windows(c.pod)
	profile := container_context(c).seccompProfile
	profile != null
	t := get(profile, "type", "")
	not t in seccomp_types
	t != "Unconfined"
	v := {
		"control": "seccomp",
		"msg": sprintf("%s sets seccomp profile type %q; it must be RuntimeDefault or Localhost", [who(c), data.confgate.lib.k8s.text(t)]),
		"path": container_path(c, ["securityContext", "seccompProfile", "type"]),
	}
}

seccomp_missing contains v if {
	some c in data.confgate.lib.k8s.containers
	not windows(c.pod)
	get(container_context(c), "seccompProfile", null) == null
	not pod_seccomp_allowed(c.pod)
	v := {
		"control": "seccomp",
		"msg": sprintf("%s has no seccomp profile: set seccompProfile.type to RuntimeDefault or Localhost on the pod or on the container", [who(c)]),
		"path": container_path(c, ["securityContext", "seccompProfile"]),
	}
}

# Capabilities: every container must drop ALL and may add back only NET_BIND_SERVICE (not on
# Windows). Capabilities outside the baseline set are reported by capabilities_added.
capabilities_not_dropped contains v if {
	some c in data.confgate.lib.k8s.containers
	not windows(c.pod)
	not drops_all(c)
	v := {
		"control": "capabilities",
		"msg": sprintf("%s does not drop all capabilities (capabilities.drop must contain \"ALL\")", [who(c)]),
		"path": container_path(c, ["securityContext", "capabilities", "drop"]),
	}
}

drops_all(c) if {
	some cap in data.confgate.lib.k8s.list(container_context(c).capabilities.drop)
	cap == "ALL"
}

capabilities_restricted_added contains v if {
	some c in data.confgate.lib.k8s.containers
	not windows(c.pod)
	some i, cap in data.confgate.lib.k8s.list(container_context(c).capabilities.add)
	cap != "NET_BIND_SERVICE"
	cap in baseline_capabilities
	v := {
		"control": "capabilities",
		"msg": sprintf("%s adds capability %q; restricted allows adding only NET_BIND_SERVICE", [who(c), cap]),
		"path": container_path(c, ["securityContext", "capabilities", "add", i]),
	}
}

# /proc mount type for pods in a user namespace: restricted still requires Default.
proc_mount_user_namespace contains v if {
	some c in data.confgate.lib.k8s.containers
	user_namespace(c.pod)
	pm := container_context(c).procMount
	not pm in {null, "Default"}
	v := {
		"control": "proc-mount",
		"msg": sprintf("%s mounts /proc with procMount %q; restricted requires Default even in a user namespace (hostUsers: false)", [who(c), data.confgate.lib.k8s.text(pm)]),
		"path": container_path(c, ["securityContext", "procMount"]),
	}
}

# ---------------------------------------------------------------------------------------------
# Levels

baseline := (((((((((((((host_process | host_pid) | host_ipc) | host_network) | privileged) | capabilities_added) | hostpath_volumes) | host_ports) | apparmor) | selinux) | proc_mount) | seccomp_unconfined) | sysctls) | probe_host)

restricted_only := (((((((volume_types | privilege_escalation) | run_as_non_root) | run_as_user) | seccomp_missing) | capabilities_not_dropped) | capabilities_restricted_added) | proc_mount_user_namespace)

restricted := baseline | restricted_only

# Violations of a level by name ("privileged" has none).
violations(level) := baseline if level == "baseline"

violations(level) := restricted if level == "restricted"
