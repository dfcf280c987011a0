package confgate.rules.workload

# Pod Security Standards, baseline "Host Namespaces": hostPID must be unset or false.
deny contains f if {
	some v in data.confgate.lib.pss.host_pid
	f := {"id": "CG1005", "msg": v.msg, "path": v.path}
}
