package confgate.rules.rbac

deny contains f if {
	some s in data.confgate.lib.rbac.subjects
	s.subject.kind == "ServiceAccount"
	s.subject.name == "default"
	f := {
		"id": "CG2007",
		"msg": sprintf("%s %q grants permissions to the default service account of namespace %q, which every pod there uses unless told otherwise", [input.kind, data.confgate.lib.k8s.name, default_service_account_binding_ns(s.subject)]),
		"path": ["subjects", s.index, "name"],
	}
}

default_service_account_binding_ns(subject) := ns if {
	ns := subject.namespace
	is_string(ns)
} else := data.confgate.lib.k8s.namespace
