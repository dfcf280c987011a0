package confgate.rules.workload

# Pod Security Standards, restricted "Capabilities": only NET_BIND_SERVICE may be added (Windows pods exempt; capabilities outside the baseline set are CG1009's).
deny contains f if {
	some v in data.confgate.lib.pss.capabilities_restricted_added
	f := {"id": "CG1022", "msg": v.msg, "path": v.path}
}
