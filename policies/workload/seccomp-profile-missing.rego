package confgate.rules.workload

# Pod Security Standards, restricted "Seccomp": RuntimeDefault or Localhost on the pod or every container (Windows pods exempt).
deny contains f if {
	some v in data.confgate.lib.pss.seccomp_missing
	f := {"id": "CG1012", "msg": v.msg, "path": v.path}
}
