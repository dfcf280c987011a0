package confgate.rules.workload

# Pod Security Standards, baseline "HostPath Volumes": no volume may be a hostPath.
deny contains f if {
	some v in data.confgate.lib.pss.hostpath_volumes
	f := {"id": "CG1008", "msg": v.msg, "path": v.path}
}
