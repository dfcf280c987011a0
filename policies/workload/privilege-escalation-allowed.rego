package confgate.rules.workload

# Pod Security Standards, restricted "Privilege Escalation": allowPrivilegeEscalation must be explicitly false on every container (Windows pods exempt).
deny contains f if {
	some v in data.confgate.lib.pss.privilege_escalation
	f := {"id": "CG1002", "msg": v.msg, "path": v.path}
}
