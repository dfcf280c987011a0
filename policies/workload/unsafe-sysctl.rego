package confgate.rules.workload

import data.confgate.lib.k8s

# Namespaced sysctls Pod Security Standards (baseline) consider safe.
unsafe_sysctl_safe := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
}

deny contains f if {
	some p in k8s.pods
	some i, s in k8s.list(p.spec.securityContext.sysctls)
	name := s.name
	is_string(name)
	not replace(name, "/", ".") in unsafe_sysctl_safe
	f := {
		"id": "CG1018",
		"msg": sprintf("%s %q sets sysctl %q, which is not in the safe set and can affect the whole node", [input.kind, k8s.name, name]),
		"path": array.concat(p.path, ["securityContext", "sysctls", i, "name"]),
	}
}
