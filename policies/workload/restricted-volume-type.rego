package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, restricted "Volume Types": only the core, non-host volume sources (hostPath is CG1008's).
deny contains f if {
	some v in pss.volume_types
	f := {"id": "CG1023", "msg": v.msg, "path": v.path}
}
