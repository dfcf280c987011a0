//! Manifests as kubectl, Helm and operators write them must pass cleanly, strict mode
//! included: the checks must not cry wolf.

use super::*;

/// A realistic mix of manifests (as kubectl, Helm and operators write them) must pass cleanly,
/// strict mode included: the checks must not cry wolf.
const REALISTIC: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
  labels: {kubernetes.io/metadata.name: monitoring, pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: node-exporter, namespace: monitoring}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:monitoring:reader
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "true"}
rules:
  - apiGroups: [""]
    resources: [nodes, nodes/metrics, services, endpoints, pods]
    verbs: [get, list, watch]
  - nonResourceURLs: [/metrics]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:monitoring:reader"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:monitoring:reader"}
subjects:
  - {kind: ServiceAccount, name: node-exporter, namespace: monitoring}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring, labels: {app.kubernetes.io/name: node-exporter}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: node-exporter}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 10%}}
  template:
    metadata:
      creationTimestamp: null
      labels: {app.kubernetes.io/name: node-exporter}
      annotations: {kubectl.kubernetes.io/default-container: node-exporter}
    spec:
      hostNetwork: true
      hostPID: true
      priorityClassName: system-node-critical
      serviceAccountName: node-exporter
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{operator: Exists}]
      securityContext: {runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: node-exporter
          image: quay.io/prometheus/node-exporter:v1.8.2
          args: [--path.rootfs=/host/root, "--web.listen-address=:9100"]
          ports: [{containerPort: 9100, hostPort: 9100, name: metrics, protocol: TCP}]
          resources:
            requests: {cpu: 102m, memory: 180Mi}
            limits: {cpu: 250m, memory: 180Mi}
          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [SYS_TIME]}}
          volumeMounts: [{name: root, mountPath: /host/root, mountPropagation: HostToContainer, readOnly: true}]
          livenessProbe: {httpGet: {path: /, port: metrics, scheme: HTTP}, initialDelaySeconds: 5, timeoutSeconds: 1}
          terminationMessagePolicy: FallbackToLogsOnError
      volumes: [{name: root, hostPath: {path: /, type: ""}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: db}
spec:
  serviceName: postgres
  replicas: 1
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Delete}
  selector: {matchExpressions: [{key: app, operator: In, values: [postgres]}]}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      terminationGracePeriodSeconds: 30
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: node.kubernetes.io/instance-type, operator: NotIn, values: [t3.micro]}]}]
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: postgres}}}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: postgres}}}
      containers:
        - name: postgres
          image: postgres:16
          env:
            - {name: POSTGRES_PASSWORD, valueFrom: {secretKeyRef: {name: pg, key: password}}}
            - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
            - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
            - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
          envFrom: [{configMapRef: {name: pg-config, optional: true}}]
          ports: [{containerPort: 5432, name: postgres}]
          readinessProbe: {exec: {command: [pg_isready, -U, postgres]}, periodSeconds: 10}
          startupProbe: {tcpSocket: {port: 5432}, failureThreshold: 30}
          resources: {requests: {cpu: "0.5", memory: 1Gi, ephemeral-storage: 2Gi}, limits: {memory: 1Gi, hugepages-2Mi: 100Mi}}
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}, {name: shm, mountPath: /dev/shm}]
      volumes: [{name: shm, emptyDir: {medium: Memory, sizeLimit: 256Mi}}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: gp3
        resources: {requests: {storage: 20Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: db, annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  loadBalancerSourceRanges: [10.0.0.0/8]
  selector: {app: postgres}
  ports: [{name: postgres, port: 5432, targetPort: postgres, protocol: TCP}, {name: metrics, port: 9187, targetPort: 9187}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2, cert-manager.io/cluster-issuer: letsencrypt}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /api(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: api, port: {name: http}}}}
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}
    - {type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: "100"}}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 300, selectPolicy: Max, policies: [{type: Percent, value: 50, periodSeconds: 60}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 50%, selector: {matchLabels: {app: web}}, unhealthyPodEvictionPolicy: AlwaysAllow}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: db}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: web}}, podSelector: {matchLabels: {app: api}}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
      ports: [{protocol: TCP, port: 5432}, {port: metrics}, {port: 30000, endPort: 32767}]
  egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: UDP, port: 53}]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: db}
spec:
  schedule: "0 2 * * *"
  timeZone: Etc/UTC
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 2
      ttlSecondsAfterFinished: 86400
      podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}
      template:
        spec:
          restartPolicy: Never
          containers: [{name: backup, image: "postgres:16", command: [sh, -c, "pg_dump > /backup/db.sql"]}]
---
apiVersion: v1
kind: Secret
metadata: {name: pg, namespace: db}
type: kubernetes.io/basic-auth
stringData: {username: postgres, password: "c0rrect horse battery staple"}
data: {ca.crt: LS0tLS1CRUdJTi==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: pg-config, namespace: db}
data: {POSTGRES_DB: app, postgresql.conf: "max_connections = 100\n", .hidden-file: x}
binaryData: {logo.png: iVBORw0KGgo=}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000000
globalDefault: false
preemptionPolicy: PreemptLowerPriority
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: ebs.csi.aws.com
parameters: {type: gp3, fsType: ext4}
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota, namespace: db}
spec: {hard: {requests.cpu: "4", limits.memory: 8Gi, pods: "20", count/deployments.apps: "5"}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: db}
spec: {limits: [{type: Container, default: {cpu: 500m}, defaultRequest: {cpu: 100m}, max: {memory: 2Gi}}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList, shortNames: [wd]}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      additionalPrinterColumns: [{name: Size, type: integer, jsonPath: .spec.size}]
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1, default: 3}
                mode: {type: string, enum: [fast, slow]}
                tags: {type: array, items: {type: string}}
                extra: {type: object, additionalProperties: {type: string}}
              x-kubernetes-validations: [{rule: "self.size < 100", message: too big}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
  - name: validate.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Fail
    matchPolicy: Equivalent
    timeoutSeconds: 5
    clientConfig: {service: {name: webhook, namespace: system, path: /validate, port: 443}, caBundle: Y2E=}
    rules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments], scope: Namespaced}]
    namespaceSelector: {matchExpressions: [{key: control-plane, operator: DoesNotExist}]}
---
apiVersion: v1
kind: Pod
metadata: {generateName: debug-, namespace: default}
spec:
  restartPolicy: Never
  dnsPolicy: None
  dnsConfig: {nameservers: [1.1.1.1], options: [{name: ndots, value: "2"}]}
  os: {name: linux}
  hostAliases: [{ip: 127.0.0.1, hostnames: [foo.local]}]
  initContainers:
    - {name: sidecar, image: envoy, restartPolicy: Always, ports: [{containerPort: 15000}]}
  containers:
    - name: debug
      image: busybox
      stdin: true
      tty: true
      lifecycle: {preStop: {exec: {command: [sleep, "5"]}}, postStart: {httpGet: {port: 8080, path: /started}}}
      livenessProbe: {grpc: {port: 9090, service: health}}
      securityContext: {privileged: false, runAsGroup: 1000, procMount: Default}
"#;

#[test]
fn realistic_manifests_pass_cleanly() {
    let (docs, err) = crate::source::yaml::parse(REALISTIC);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(docs.len(), 21);
    for minor in [31, 37] {
        let s = schemas(&format!("1.{minor}"));
        for d in &docs {
            let out = s.validate(&d.root, true);
            assert_eq!(out.coverage, Coverage::Checked);
            let found: Vec<String> = out
                .issues
                .iter()
                .map(|i| format!("line {}: {}: {}", d.start_line, i.path, i.message))
                .collect();
            assert!(found.is_empty(), "1.{minor}: {found:#?}");
        }
    }
}
