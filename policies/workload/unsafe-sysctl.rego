package confgate.rules.workload

# Pod Security Standards, baseline "Sysctls": only the safe sysctls.
deny contains f if {
	some v in data.confgate.lib.pss.sysctls
	f := {"id": "CG1018", "msg": v.msg, "path": v.path}
}
