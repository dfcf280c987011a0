package confgate.rules.workload

import data.confgate.lib.k8s

selinux_custom_options_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

# seLinuxOptions of every pod and container, with their paths.
selinux_custom_options_sites contains {"opts": p.spec.securityContext.seLinuxOptions, "path": array.concat(p.path, ["securityContext", "seLinuxOptions"]), "what": sprintf("%s %q", [input.kind, k8s.name])} if {
	some p in k8s.pods
	is_object(p.spec.securityContext.seLinuxOptions)
}

selinux_custom_options_sites contains {"opts": c.container.securityContext.seLinuxOptions, "path": array.concat(c.path, ["securityContext", "seLinuxOptions"]), "what": sprintf("container %q", [k8s.container_name(c)])} if {
	some c in k8s.containers
	is_object(c.container.securityContext.seLinuxOptions)
}

deny contains f if {
	some s in selinux_custom_options_sites
	t := s.opts.type
	is_string(t)
	not t in selinux_custom_options_types
	f := {
		"id": "CG1019",
		"msg": sprintf("%s sets SELinux type %q; only the standard container types are allowed", [s.what, t]),
		"path": array.concat(s.path, ["type"]),
	}
}

deny contains f if {
	some s in selinux_custom_options_sites
	some field in ["user", "role"]
	v := s.opts[field]
	is_string(v)
	v != ""
	f := {
		"id": "CG1019",
		"msg": sprintf("%s sets a custom SELinux %s %q", [s.what, field, v]),
		"path": array.concat(s.path, [field]),
	}
}
