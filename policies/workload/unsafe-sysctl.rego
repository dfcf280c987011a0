package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, baseline "Sysctls": only the safe sysctls.
deny contains f if {
	some v in pss.sysctls
	f := {"id": "CG1018", "msg": v.msg, "path": v.path}
}
