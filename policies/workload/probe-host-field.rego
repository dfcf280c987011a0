package confgate.rules.workload

# Pod Security Standards, baseline "Host Probes / Lifecycle Hooks": probes and lifecycle handlers must not set host.
deny contains f if {
	some v in data.confgate.lib.pss.probe_host
	f := {"id": "CG1021", "msg": v.msg, "path": v.path}
}
