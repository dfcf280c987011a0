package confgate.rules.workload

# Pod Security Standards, restricted "Capabilities": every container must drop ALL (Windows pods exempt).
deny contains f if {
	some v in data.confgate.lib.pss.capabilities_not_dropped
	f := {"id": "CG1010", "msg": v.msg, "path": v.path}
}
