package confgate.rules.bestpractice

deny contains f if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
	some probe in ["livenessProbe", "readinessProbe", "startupProbe"]
	some handler in ["httpGet", "tcpSocket"]
	port := c.container[probe][handler].port
	is_string(port)
	not port in {p.name | some p in data.confgate.lib.k8s.list(c.container.ports)}
	f := {
		"id": "CG5019",
		"msg": sprintf("container %q's %s uses port %q, which the container does not declare by that name; the probe can never succeed", [data.confgate.lib.k8s.container_name(c), probe, port]),
		"path": array.concat(c.path, [probe, handler, "port"]),
	}
}

# The name resolves to a port the container declares with protocol UDP: httpGet and tcpSocket
# probes connect over TCP, so nothing answers them there.
deny contains f if {
	some c in data.confgate.lib.k8s.containers
	c.type != "ephemeralContainers"
	some probe in ["livenessProbe", "readinessProbe", "startupProbe"]
	some handler in ["httpGet", "tcpSocket"]
	port := c.container[probe][handler].port
	is_string(port)
	declared := [p | some p in data.confgate.lib.k8s.list(c.container.ports); p.name == port]
	count(declared) > 0
	count([p | some p in declared; p.protocol == "UDP"]) == count(declared)
	f := {
		"id": "CG5019",
		"msg": sprintf("container %q's %s uses port %q, which the container declares with protocol UDP; %s probes connect over TCP, so the probe can never succeed", [data.confgate.lib.k8s.container_name(c), probe, port, handler]),
		"path": array.concat(c.path, [probe, handler, "port"]),
	}
}
