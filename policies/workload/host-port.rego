package confgate.rules.workload

import data.confgate.lib.k8s

deny contains f if {
	some c in k8s.containers
	some i, port in k8s.list(c.container.ports)
	hp := port.hostPort
	is_number(hp)
	hp != 0
	f := {
		"id": "CG1014",
		"msg": sprintf("container %q binds host port %v on the node", [k8s.container_name(c), hp]),
		"path": array.concat(c.path, ["ports", i, "hostPort"]),
	}
}
