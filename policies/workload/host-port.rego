package confgate.rules.workload

# Pod Security Standards, baseline "Host Ports": hostPort must be unset or 0.
deny contains f if {
	some v in data.confgate.lib.pss.host_ports
	f := {"id": "CG1014", "msg": v.msg, "path": v.path}
}
