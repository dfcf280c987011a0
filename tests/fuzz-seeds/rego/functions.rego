package main

import data.lib.util

default threshold := 3

double(x) := x * 2

label_of(obj, key) := value if {
	value := obj.metadata.labels[key]
} else := "none"

deny contains msg if {
	input.kind == "Deployment"
	double(input.spec.replicas) > threshold
	names := {c.name | some c in input.spec.template.spec.containers}
	count(names) > 0
	every n in names { startswith(n, "app") }
	msg := sprintf("%s has %v", [label_of(input, "app"), [x | some x in numbers.range(1, 3)]])
}
