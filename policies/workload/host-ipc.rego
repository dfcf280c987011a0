package confgate.rules.workload

# Pod Security Standards, baseline "Host Namespaces": hostIPC must be unset or false.
deny contains f if {
	some v in data.confgate.lib.pss.host_ipc
	f := {"id": "CG1006", "msg": v.msg, "path": v.path}
}
