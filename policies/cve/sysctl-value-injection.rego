package confgate.rules.cve

deny contains f if {
	some p in data.confgate.lib.k8s.pods
	some i, s in data.confgate.lib.k8s.list(p.spec.securityContext.sysctls)
	v := s.value
	is_string(v)
	regex.match(`[+=]`, v)
	f := {
		"id": "CG6008",
		"msg": sprintf("%s %q sets sysctl %q to a value containing '+' or '='; CRI-O splits such values into further sysctls, which lets a pod set kernel.core_pattern and run code as root on the node (CVE-2022-0811)", [input.kind, data.confgate.lib.k8s.name, data.confgate.lib.k8s.text(object.get(s, "name", ""))]),
		"path": array.concat(p.path, ["securityContext", "sysctls", i, "value"]),
	}
}
