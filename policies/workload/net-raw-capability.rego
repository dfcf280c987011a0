package confgate.rules.workload

# CIS Kubernetes Benchmark 5.2.8: container runtimes grant NET_RAW unless it is dropped.
deny contains f if {
	some c in data.confgate.lib.k8s.containers
	not data.confgate.lib.k8s.windows_pod(c.pod)
	not net_raw_capability_dropped(c)
	f := {
		"id": "CG1027",
		"msg": sprintf("container %q keeps the NET_RAW capability (capabilities.drop lists neither NET_RAW nor ALL); it can craft raw packets to spoof or sniff traffic", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "capabilities", "drop"]),
	}
}

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	not data.confgate.lib.k8s.windows_pod(c.pod)
	net_raw_capability_dropped(c)
	some i, cap in data.confgate.lib.k8s.list(data.confgate.lib.k8s.container_sc(c).capabilities.add)
	net_raw_capability_name(cap) in {"NET_RAW", "ALL"}
	f := {
		"id": "CG1027",
		"msg": sprintf("container %q adds the NET_RAW capability back; it can craft raw packets to spoof or sniff traffic", [data.confgate.lib.k8s.container_name(c)]),
		"path": array.concat(c.path, ["securityContext", "capabilities", "add", i]),
	}
}

net_raw_capability_dropped(c) if {
	some cap in data.confgate.lib.k8s.list(data.confgate.lib.k8s.container_sc(c).capabilities.drop)
	net_raw_capability_name(cap) in {"NET_RAW", "ALL"}
}

# A capability name as runtimes read it: case-insensitive, with or without CAP_.
net_raw_capability_name(cap) := trim_prefix(upper(trim_space(cap)), "CAP_") if is_string(cap)
