package confgate.rules.workload

# Pod Security Standards, baseline "HostProcess": windowsOptions.hostProcess must be unset or false.
deny contains f if {
	some v in data.confgate.lib.pss.host_process
	f := {"id": "CG1020", "msg": v.msg, "path": v.path}
}
