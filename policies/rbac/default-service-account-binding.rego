package confgate.rules.rbac

import data.confgate.lib.k8s
import data.confgate.lib.rbac

deny contains f if {
	some s in rbac.subjects
	s.subject.kind == "ServiceAccount"
	s.subject.name == "default"
	f := {
		"id": "CG2007",
		"msg": sprintf("%s %q grants permissions to the default service account of namespace %q, which every pod there uses unless told otherwise", [input.kind, k8s.name, default_service_account_binding_ns(s.subject)]),
		"path": ["subjects", s.index, "name"],
	}
}

default_service_account_binding_ns(subject) := ns if {
	ns := subject.namespace
	is_string(ns)
} else := k8s.namespace
