package confgate.rules.cve

import data.confgate.lib.k8s

deny contains f if {
	some p in k8s.pods
	some i, s in k8s.list(p.spec.securityContext.sysctls)
	v := s.value
	is_string(v)
	regex.match(`[+=]`, v)
	f := {
		"id": "CG6008",
		"msg": sprintf("%s %q sets sysctl %q to a value containing '+' or '='; CRI-O splits such values into further sysctls, which lets a pod set kernel.core_pattern and run code as root on the node (CVE-2022-0811)", [input.kind, k8s.name, k8s.text(object.get(s, "name", ""))]),
		"path": array.concat(p.path, ["securityContext", "sysctls", i, "value"]),
	}
}
