package confgate.rules.workload

# Container runtime sockets, and the directories that hold them.
container_runtime_socket_paths := {
	"/var/run/docker.sock", "/run/docker.sock",
	"/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
	"/run/k3s/containerd/containerd.sock", "/var/run/podman/podman.sock", "/run/podman/podman.sock",
	"/var/run", "/run", "/var/run/docker", "/run/docker", "/var/run/containerd", "/run/containerd",
	"/var/run/crio", "/run/crio",
}

deny contains f if {
	some p in data.confgate.lib.k8s.pods
	some i, v in data.confgate.lib.k8s.list(p.spec.volumes)
	raw := v.hostPath.path
	is_string(raw)
	container_runtime_socket_normalized(raw) in container_runtime_socket_paths
	f := {
		"id": "CG1017",
		"msg": sprintf("volume %q mounts the container runtime socket %q from the node; whoever can reach it controls every container on the node", [data.confgate.lib.k8s.text(object.get(v, "name", "")), raw]),
		"path": array.concat(p.path, ["volumes", i, "hostPath", "path"]),
	}
}

container_runtime_socket_normalized(raw) := trim_right(raw, "/") if {
	raw != "/"
} else := raw
