package confgate.rules.workload

# Pod Security Standards, restricted "Volume Types": only the core, non-host volume sources (hostPath is CG1008's).
deny contains f if {
	some v in data.confgate.lib.pss.volume_types
	f := {"id": "CG1023", "msg": v.msg, "path": v.path}
}
