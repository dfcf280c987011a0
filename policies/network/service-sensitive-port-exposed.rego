package confgate.rules.network

# Well-known ports of remote administration, cluster control planes, databases and caches:
# services that must never be reachable from outside the cluster.
service_sensitive_port_names := {
	22: "SSH",
	23: "Telnet",
	1433: "SQL Server",
	1521: "Oracle Database",
	2181: "ZooKeeper",
	2375: "Docker API (plain)",
	2376: "Docker API",
	2379: "etcd",
	2380: "etcd peer",
	3306: "MySQL",
	3389: "RDP",
	5432: "PostgreSQL",
	5900: "VNC",
	5984: "CouchDB",
	6379: "Redis",
	6443: "Kubernetes API",
	9042: "Cassandra",
	9200: "Elasticsearch",
	9300: "Elasticsearch transport",
	10250: "kubelet API",
	10255: "kubelet read-only API",
	11211: "memcached",
	27017: "MongoDB",
}

deny contains f if {
	input.kind == "Service"
	exposures := data.confgate.lib.network.exposures(input)
	count(exposures) > 0
	some i, port in data.confgate.lib.k8s.list(input.spec.ports)
	is_object(port)
	some field in ["port", "targetPort"]
	number := port[field]
	what := service_sensitive_port_names[number]
	not service_sensitive_port_shadowed(port, field)
	f := {
		"id": "CG3009",
		"msg": sprintf("Service %q exposes port %v (%s) outside the cluster through %s", [data.confgate.lib.k8s.name, number, what, concat(" and ", sort(exposures))]),
		"path": ["spec", "ports", i, field],
	}
}

# Report a port once: targetPort only when the Service port itself is not sensitive.
service_sensitive_port_shadowed(port, "targetPort") if service_sensitive_port_names[port.port]
