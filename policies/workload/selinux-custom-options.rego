package confgate.rules.workload

# Pod Security Standards, baseline "SELinux": only standard container types; no user or role.
deny contains f if {
	some v in data.confgate.lib.pss.selinux
	f := {"id": "CG1019", "msg": v.msg, "path": v.path}
}
