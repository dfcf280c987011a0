package confgate.rules.bestpractice

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
	some res in ["cpu", "memory"]
	req := request_limit_quantity(c.container.resources.requests[res])
	lim := request_limit_quantity(c.container.resources.limits[res])
	req > lim
	f := {
		"id": "CG5014",
		"msg": sprintf("container %q requests more %s (%v) than its limit (%v); the API server rejects such pods", [data.confgate.lib.k8s.container_name(c), res, c.container.resources.requests[res], c.container.resources.limits[res]]),
		"path": array.concat(c.path, ["resources", "requests", res]),
	}
}

# A resource quantity as a number; undefined for anything units.parse would choke on.
request_limit_quantity(q) := q if is_number(q)

request_limit_quantity(q) := units.parse(q) if {
	is_string(q)
	regex.match(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`, q)
}
