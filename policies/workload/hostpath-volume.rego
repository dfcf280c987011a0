package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, baseline "HostPath Volumes": no volume may be a hostPath.
deny contains f if {
	some v in pss.hostpath_volumes
	f := {"id": "CG1008", "msg": v.msg, "path": v.path}
}
