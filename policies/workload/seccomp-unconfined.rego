package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, baseline "Seccomp": seccompProfile.type must not be Unconfined.
deny contains f if {
	some v in pss.seccomp_unconfined
	f := {"id": "CG1013", "msg": v.msg, "path": v.path}
}
