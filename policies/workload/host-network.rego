package confgate.rules.workload

# Pod Security Standards, baseline "Host Namespaces": hostNetwork must be unset or false.
deny contains f if {
	some v in data.confgate.lib.pss.host_network
	f := {"id": "CG1007", "msg": v.msg, "path": v.path}
}
