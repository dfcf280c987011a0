package confgate.rules.workload

# Pod Security Standards, baseline "Seccomp": seccompProfile.type must not be Unconfined.
deny contains f if {
	some v in data.confgate.lib.pss.seccomp_unconfined
	f := {"id": "CG1013", "msg": v.msg, "path": v.path}
}
