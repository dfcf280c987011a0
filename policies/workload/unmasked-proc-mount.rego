package confgate.rules.workload

# Pod Security Standards, baseline "/proc Mount Type": procMount must be unset or Default (pods with hostUsers: false exempt).
deny contains f if {
	some v in data.confgate.lib.pss.proc_mount
	f := {"id": "CG1015", "msg": v.msg, "path": v.path}
}
