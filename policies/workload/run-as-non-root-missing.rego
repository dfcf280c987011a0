package confgate.rules.workload

# Pod Security Standards, restricted "Running as Non-root": runAsNonRoot true on the pod or every container, never false (pods with hostUsers: false exempt).
deny contains f if {
	some v in data.confgate.lib.pss.run_as_non_root
	f := {"id": "CG1003", "msg": v.msg, "path": v.path}
}
