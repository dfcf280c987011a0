package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, baseline "Capabilities": capabilities.add may only hold the baseline set.
deny contains f if {
	some v in pss.capabilities_added
	f := {"id": "CG1009", "msg": v.msg, "path": v.path}
}
