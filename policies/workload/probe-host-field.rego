package confgate.rules.workload

import data.confgate.lib.pss

# Pod Security Standards, baseline "Host Probes / Lifecycle Hooks": probes and lifecycle handlers must not set host.
deny contains f if {
	some v in pss.probe_host
	f := {"id": "CG1021", "msg": v.msg, "path": v.path}
}
