package confgate.rules.workload

# Pod Security Standards, baseline "Privileged Containers": securityContext.privileged must be unset or false.
deny contains f if {
	some v in data.confgate.lib.pss.privileged
	f := {"id": "CG1001", "msg": v.msg, "path": v.path}
}
