package confgate.rules.workload

import data.confgate.lib.k8s

# Capabilities Pod Security Standards (baseline) allow a container to add.
dangerous_capability_allowed := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

deny contains f if {
	some c in k8s.containers
	some i, cap in k8s.list(c.container.securityContext.capabilities.add)
	is_string(cap)
	name := trim_prefix(upper(trim_space(cap)), "CAP_")
	not name in dangerous_capability_allowed
	f := {
		"id": "CG1009",
		"msg": sprintf("container %q adds capability %s, which grants powers beyond what Pod Security Standards allow", [k8s.container_name(c), name]),
		"path": array.concat(c.path, ["securityContext", "capabilities", "add", i]),
	}
}
