package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, baseline "AppArmor": only RuntimeDefault/Localhost profiles (runtime/default, localhost/* annotations).
deny contains f if {
	some v in pss.apparmor
	f := {"id": "CG1016", "msg": v.msg, "path": v.path}
}
