package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, baseline "Host Namespaces": hostIPC must be unset or false.
deny contains f if {
	some v in pss.host_ipc
	f := {"id": "CG1006", "msg": v.msg, "path": v.path}
}
