package confgate.rules.workload

# Pod Security Standards, restricted "Running as Non-root user": runAsUser must not be 0 on the pod or any container (pods with hostUsers: false exempt).
deny contains f if {
	some v in data.confgate.lib.pss.run_as_user
	f := {"id": "CG1004", "msg": v.msg, "path": v.path}
}
