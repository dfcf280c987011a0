package confgate.rules.workload

# Pod Security Standards, baseline "Capabilities": capabilities.add may only hold the baseline set.
deny contains f if {
	some v in data.confgate.lib.pss.capabilities_added
	f := {"id": "CG1009", "msg": v.msg, "path": v.path}
}
