"""The Kubernetes workloads of the five services, as data (written by deploy/gen_k8s.py into
deploy/k8s/base/services/<name>.yaml).

One image runs every service; the container command chooses it (``egov serve <name>``).
The four HTTP services are Deployments with an HPA and a PDB; the monitor is a StatefulSet
(see ``monitor_statefulset`` for why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMAGE = "registry.example.gov.cn/egov/egov-platform:0.1.0"
UID = 10001
PART_OF = "egov"
CASE_PARTITIONS = 6


REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Svc:
    name: str
    port: int
    replicas: int
    max_replicas: int
    public: bool  # reached through the ingress controller (applicants, officers, other systems)
    config_volumes: tuple[str, ...] = ("calendar",)
    env: tuple[tuple[str, str], ...] = ()  # service-specific EGOV_* settings
    calls: tuple[str, ...] = ()  # services this one calls over HTTP
    egress_https: bool = True  # JWKS of the identity provider, webhooks, SMS gateway
    egress_smtp: bool = False
    requests: dict[str, str] = field(default_factory=lambda: {"cpu": "100m", "memory": "256Mi"})
    limits: dict[str, str] = field(default_factory=lambda: {"cpu": "1", "memory": "512Mi"})


SERVICES: dict[str, Svc] = {
    s.name: s
    for s in (
        Svc(
            "intake",
            8001,
            2,
            CASE_PARTITIONS,
            True,
            ("calendar", "catalog"),
            env=(
                ("EGOV_CATALOG_DIR", "/etc/egov/catalog"),
                ("EGOV_CREDIT_URL", "http://egov-credit:8005"),
            ),
            calls=("credit",),
        ),
        Svc("approval", 8002, 2, CASE_PARTITIONS, True),
        Svc(
            "monitor",
            8003,
            3,
            CASE_PARTITIONS,
            True,
            env=(
                ("EGOV_MONITOR_STORE", "rocksdb"),
                ("EGOV_MONITOR_DATA_DIR", "/var/lib/egov/monitor"),  # MONITOR_STATE's mount
            ),
            requests={"cpu": "200m", "memory": "512Mi"},
            limits={"cpu": "1", "memory": "1Gi"},
        ),
        Svc(
            "notify",
            8004,
            2,
            CASE_PARTITIONS,
            False,
            ("calendar", "templates", "officers"),
            env=(
                ("EGOV_TEMPLATES_DIR", "/etc/egov/templates"),
                ("EGOV_DIRECTORY_FILE", "/etc/egov/officers/directory.yaml"),
            ),
            egress_smtp=True,
        ),
        Svc("credit", 8005, 2, CASE_PARTITIONS, True),
    )
}

# ConfigMap name and mount path of each data volume.
CONFIG_VOLUMES: dict[str, tuple[str, str]] = {
    "calendar": ("egov-calendar", "/etc/egov/calendar"),
    "catalog": ("egov-catalog", "/etc/egov/catalog"),
    "templates": ("egov-templates", "/etc/egov/templates"),
    "officers": ("egov-officers", "/etc/egov/officers"),
}


def config_files() -> dict[str, list[tuple[str, str, Path]]]:
    """volume -> [(ConfigMap key, path inside the mount, source file)], from the code's data.

    ConfigMap keys cannot hold '/', so nested template files get keys like
    ``case_received--email.zh-CN.j2`` and the volume's items put them back in place.
    """
    templates = REPO_ROOT / "services" / "notify" / "templates"
    catalog = REPO_ROOT / "services" / "intake" / "catalog"
    calendar = REPO_ROOT / "shared" / "calendar" / "data"
    return {
        "calendar": [(p.name, p.name, p) for p in sorted(calendar.glob("*.json"))],
        "catalog": [(p.name, p.name, p) for p in sorted(catalog.glob("*.yaml"))],
        "templates": [
            (f"{p.parent.name}--{p.name}", f"{p.parent.name}/{p.name}", p)
            for p in sorted(templates.glob("*/*.j2"))
        ],
        "officers": [
            (
                "directory.yaml",
                "directory.yaml",
                REPO_ROOT / "services" / "notify" / "data" / "directory.yaml",
            )
        ],
    }


def labels(svc: Svc) -> dict[str, str]:
    return {"app.kubernetes.io/name": f"egov-{svc.name}", "app.kubernetes.io/part-of": PART_OF}


# Checks of checkov (run by tests/support/verify_ops.py) that the workloads skip, with the reason.
CHECKOV_SKIPS = {
    "CKV_K8S_43": "image digest is pinned at release time with `kustomize edit set image"
    " ...@sha256:<digest>` (docs/deploy.md); no digest exists before the image is built",
    "CKV_K8S_35": "settings are pydantic-settings EGOV_* environment variables (no secrets_dir);"
    " the Secrets egov-secrets and egov-<service>-secrets are created out of band, never"
    " committed",
}


def _meta(svc: Svc, kind_suffix: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": f"egov-{svc.name}{kind_suffix}", "labels": labels(svc), **extra}


def _workload_meta(svc: Svc) -> dict[str, Any]:
    skips = {
        f"checkov.io/skip{i}": f"{check}={reason}"
        for i, (check, reason) in enumerate(CHECKOV_SKIPS.items(), start=1)
    }
    return _meta(svc, annotations=skips)


def _container(svc: Svc) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
    return {
        "name": svc.name,
        "image": IMAGE,
        "imagePullPolicy": "Always",
        "args": ["serve", svc.name],
        "ports": [
            {"name": "http", "containerPort": svc.port, "protocol": "TCP"},
            # /metrics on a port of its own (EGOV_METRICS_PORT in the base egov-settings), so
            # the public port shows none of it; the ServiceMonitors scrape this one.
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ],
        "envFrom": [
            {"configMapRef": {"name": "egov-settings"}},
            # Created out of band, never committed (docs/operations.md#secrets). egov-secrets holds
            # only what every service needs (EGOV_EVENT_ID_KEY); egov-<service>-secrets what this
            # service alone needs (EGOV_MONGO_URI with its own database user; notify's SMTP and
            # SMS keys), so no pod gets another service's secrets. The Kafka password is each
            # service's own, from its KafkaUser's Secret (the prod overlay's
            # kafka-credentials.yaml); its token signing key is mounted as a file.
            {"secretRef": {"name": "egov-secrets"}},
            {"secretRef": {"name": f"egov-{svc.name}-secrets"}},
        ],
        "env": [
            {"name": "EGOV_HTTP_PORT", "value": str(svc.port)},
            *({"name": k, "value": v} for k, v in svc.env),
            {
                "name": "EGOV_KAFKA_CLIENT_ID",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
            },
            # The monitor's stable worker id: the StatefulSet pod name (egov-monitor-0, ...).
            *(
                [
                    {
                        "name": "EGOV_MONITOR_WORKER_ID",
                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                    }
                ]
                if svc.name == "monitor"
                else []
            ),
        ],
        "startupProbe": {**probe, "failureThreshold": 30, "periodSeconds": 2},
        "livenessProbe": {**probe, "timeoutSeconds": 3, "failureThreshold": 3},
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "http"},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 2,
        },
        # Let endpoints and the load balancer drop the pod before uvicorn stops accepting.
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
        "resources": {"requests": dict(svc.requests), "limits": dict(svc.limits)},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]
        + [
            {"name": name, "mountPath": path, "readOnly": True}
            for name, (path, _) in SERVICE_IDENTITY_VOLUMES.items()
        ]
        + [
            {"name": v, "mountPath": CONFIG_VOLUMES[v][1], "readOnly": True}
            for v in svc.config_volumes
        ]
        + (
            [{"name": MONITOR_STATE, "mountPath": MONITOR_STATE_PATH}]
            if svc.name == "monitor"
            else []
        ),
    }


METRICS_PORT = 9090  # EGOV_METRICS_PORT in the base egov-settings ConfigMap

# Each monitor worker's own volume for its RocksDB tables (EGOV_MONITOR_DATA_DIR).
MONITOR_STATE, MONITOR_STATE_PATH, MONITOR_STATE_SIZE = "state", "/var/lib/egov/monitor", "10Gi"

# Service-to-service tokens (shared/service_tokens.py, docs/security.md): the service's own
# signing key from its Secret egov-<service>-service-key (key.pem) and every service's public key
# from the ConfigMap egov-service-jwks (jwks.json), both made by `egov service-keys`. Optional so
# the dev overlay starts without them; the prod overlay points the settings at them, and a
# service with EGOV_ENVIRONMENT=prod refuses to start when they are missing.
SERVICE_IDENTITY_VOLUMES = {
    "service-key": ("/etc/egov/service-key", "key.pem"),
    "service-jwks": ("/etc/egov/service-jwks", "jwks.json"),
}


def _service_identity_volumes(svc: Svc) -> list[dict[str, Any]]:
    return [
        {
            "name": "service-key",
            "secret": {
                "secretName": f"egov-{svc.name}-service-key",
                "optional": True,
                "defaultMode": 0o400,
            },
        },
        {"name": "service-jwks", "configMap": {"name": "egov-service-jwks", "optional": True}},
    ]


def _config_volume(volume: str) -> dict[str, Any]:
    items = [{"key": key, "path": path} for key, path, _ in config_files()[volume]]
    return {"name": volume, "configMap": {"name": CONFIG_VOLUMES[volume][0], "items": items}}


def _pod_spec(svc: Svc) -> dict[str, Any]:
    return {
        "serviceAccountName": f"egov-{svc.name}",
        "automountServiceAccountToken": False,
        # uvicorn drains for up to 20 s, consumers commit after their handler: 5 + 20 + margin.
        "terminationGracePeriodSeconds": 45,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": labels(svc)},
            }
        ],
        "containers": [_container(svc)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
        + _service_identity_volumes(svc)
        + [_config_volume(v) for v in svc.config_volumes],
    }


def _template(svc: Svc) -> dict[str, Any]:
    return {"metadata": {"labels": labels(svc)}, "spec": _pod_spec(svc)}


def deployment(svc: Svc) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _workload_meta(svc),
        "spec": {
            "replicas": svc.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": labels(svc)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": _template(svc),
        },
    }


def monitor_statefulset(svc: Svc) -> dict[str, Any]:
    """Why a StatefulSet for the faust monitor:

    - each worker keeps its tables (open stage clocks, timers) and rebuilds what it lacks from
      the compacted changelog topics when it gets partitions; the worker's identity is stable
      (pod name = EGOV_MONITOR_WORKER_ID and Kafka client id, a DNS name through the headless
      Service), so logs, /worker and metrics of egov-monitor-1 stay comparable across restarts,
      and faust's sticky assignor can hand a restarted worker its previous partitions back;
    - OrderedReady rolling updates restart one worker at a time and wait until it is ready: only
      one share of the partitions is recovering at once, supervision never stops everywhere;
    - replicas never exceed the partitions of egov.stages / egov.cases (6): a seventh worker
      would get no partition and idle. No HPA: every scaling step is a rebalance with table
      recovery; scale by hand (docs/operations.md#scale-the-monitor).
    - a volume per worker (volumeClaimTemplates) holds its tables in RocksDB
      (EGOV_MONITOR_STORE=rocksdb): a restarted worker reads them and only the changelog's tail
      instead of replaying the whole changelog (docs/monitor.md, table store). The changelogs
      stay the durable copy: a worker on an empty volume recovers from them. A scaled-away
      worker's volume is deleted (its state would be stale when it came back).
    """
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _workload_meta(svc),
        "spec": {
            "serviceName": f"egov-{svc.name}-workers",
            "replicas": svc.replicas,
            "podManagementPolicy": "OrderedReady",
            "revisionHistoryLimit": 5,
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": labels(svc)},
            "template": _template(svc),
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": MONITOR_STATE, "labels": labels(svc)},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": MONITOR_STATE_SIZE}},
                    },
                }
            ],
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Delete",
            },
        },
    }


def service(svc: Svc, *, headless: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": labels(svc),
        "ports": [
            {"name": "http", "port": svc.port, "targetPort": "http", "protocol": "TCP"},
            {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"},
        ],
    }
    if headless:
        spec = {"clusterIP": "None", "publishNotReadyAddresses": True, **spec}
    meta = _meta(svc, "-workers" if headless else "")
    if not headless:  # the ServiceMonitor scrapes this one only (not the monitor's headless one)
        meta["labels"] = {**meta["labels"], "egov.gov.cn/metrics": "true"}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": spec,
    }


def pdb(svc: Svc) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(svc),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(svc)}},
    }


def hpa(svc: Svc) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(svc),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"egov-{svc.name}",
            },
            "minReplicas": svc.replicas,
            # Consumers beyond the partition count idle; HTTP capacity still grows up to here.
            "maxReplicas": svc.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def service_account(svc: Svc) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(svc),
        "automountServiceAccountToken": False,
    }


def network_policy(svc: Svc) -> dict[str, Any]:
    http = [{"protocol": "TCP", "port": svc.port}]
    monitoring = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    }
    sources: list[dict[str, Any]] = []
    if svc.public:
        sources.append(
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
        )
    if svc.name == "monitor":
        # faust workers forward table look-ups to the worker that owns the partition.
        sources.append({"podSelector": {"matchLabels": labels(svc)}})
    for caller in SERVICES.values():
        if svc.name in caller.calls:
            sources.append({"podSelector": {"matchLabels": labels(caller)}})
    egress: list[dict[str, Any]] = [
        {
            "to": [{"podSelector": {"matchLabels": labels(SERVICES[callee])}}],
            "ports": [{"protocol": "TCP", "port": SERVICES[callee].port}],
        }
        for callee in svc.calls
    ]
    if svc.egress_https or svc.egress_smtp:
        ports = ([{"protocol": "TCP", "port": 443}] if svc.egress_https else []) + (
            [{"protocol": "TCP", "port": 587}, {"protocol": "TCP", "port": 465}]
            if svc.egress_smtp
            else []
        )
        egress.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": ports})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(svc),
        "spec": {
            "podSelector": {"matchLabels": labels(svc)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                # Prometheus scrapes the metrics port; the API port serves callers only.
                {"from": [monitoring], "ports": [{"protocol": "TCP", "port": METRICS_PORT}]},
                *([{"from": sources, "ports": http}] if sources else []),
            ],
            "egress": egress,
        },
    }


def service_documents(svc: Svc) -> list[dict[str, Any]]:
    docs = [service_account(svc), service(svc)]
    if svc.name == "monitor":
        docs += [service(svc, headless=True), monitor_statefulset(svc), pdb(svc)]
    else:
        docs += [deployment(svc), pdb(svc), hpa(svc)]
    return docs + [network_policy(svc)]
