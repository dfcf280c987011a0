package confgate.rules.workload

# Pod Security Standards, baseline "AppArmor": only RuntimeDefault/Localhost profiles (runtime/default, localhost/* annotations).
deny contains f if {
	some v in data.confgate.lib.pss.apparmor
	f := {"id": "CG1016", "msg": v.msg, "path": v.path}
}
