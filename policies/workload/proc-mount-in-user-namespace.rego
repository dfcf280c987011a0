package confgate.rules.workload

# Pod Security Standards, restricted "/proc Mount Type": procMount must be Default even for pods with hostUsers: false (the others are CG1015's).
deny contains f if {
	some v in data.confgate.lib.pss.proc_mount_user_namespace
	f := {"id": "CG1024", "msg": v.msg, "path": v.path}
}
