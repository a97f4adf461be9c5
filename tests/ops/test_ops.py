"""Operations artefacts checked by the real tools: kubectl kustomize, kubernetes-validate,
checkov, promtool (tests/support/verify_ops.py holds the checking functions)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import gen_k8s
from shared.contracts import access, registry
from tests.support import verify_ops

pytestmark = pytest.mark.ops

CASE_TOPICS = ("egov.cases", "egov.stages")


def _docs(text: str, kind: str | None = None) -> list[dict[str, Any]]:
    docs = verify_ops.documents(text)
    return [d for d in docs if kind is None or d["kind"] == kind]


# ------------------------------------------------------------------ generated files


def test_generated_files_are_in_sync_with_their_sources() -> None:
    assert verify_ops.generated_drift() == [], "run `python -m deploy.gen_k8s`"


def test_drift_is_reported_when_the_registry_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry.TOPICS["egov.cases"]
    monkeypatch.setitem(registry.TOPICS, "egov.cases", dataclasses.replace(spec, partitions=12))
    problems = [p for p in gen_k8s.drift() if "kafka-topics.yaml" in p]
    assert len(problems) == 1
    assert "+  partitions: 12" in problems[0]


def test_drift_is_reported_when_a_grant_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry.TOPICS["egov.supervision"]
    consumers = (*spec.consumers, "credit")
    monkeypatch.setitem(
        registry.TOPICS, "egov.supervision", dataclasses.replace(spec, consumers=consumers)
    )
    problems = [p for p in gen_k8s.drift() if "kafka-users.yaml" in p]
    assert len(problems) == 1
    assert "+    - resource:" in problems[0]
    assert "+        name: egov.supervision" in problems[0]


def test_kafka_topics_mirror_the_contracts_registry() -> None:
    docs = _docs((gen_k8s.BASE / "kafka-topics.yaml").read_text(encoding="utf-8"), "KafkaTopic")
    by_topic = {d["spec"]["topicName"]: d for d in docs}
    faust = {t.name: t for t in gen_k8s.faust_topics()}
    assert set(by_topic) == set(registry.TOPICS) | set(faust)
    changelogs = [n for n in faust if n.endswith("-changelog")]
    assert len(changelogs) >= 1
    for name in changelogs:  # faust restores the monitor's tables from these
        assert by_topic[name]["spec"]["config"]["cleanup.policy"] == "compact"
        assert by_topic[name]["spec"]["partitions"] == registry.TOPICS["egov.stages"].partitions
    for name, spec in registry.TOPICS.items():
        doc = by_topic[name]
        assert "." not in doc["metadata"]["name"]
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == gen_k8s.STRIMZI_CLUSTER
        assert doc["spec"]["partitions"] == spec.partitions
        assert doc["spec"]["config"]["retention.ms"] == str(spec.retention_ms)
        assert doc["spec"]["config"]["cleanup.policy"] == spec.cleanup_policy


def test_the_prometheus_rule_holds_exactly_the_local_rules() -> None:
    local = yaml.safe_load(verify_ops.RULES_FILE.read_text(encoding="utf-8"))
    rule = yaml.safe_load(
        (gen_k8s.BASE / "monitoring" / "prometheusrule.yaml").read_text(encoding="utf-8")
    )
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"]["groups"] == local["groups"]


# ------------------------------------------------------------------ kustomize


@pytest.mark.parametrize("overlay", verify_ops.OVERLAYS)
def test_overlay_renders_every_part_of_the_platform(rendered: dict[str, str], overlay: str) -> None:
    docs = _docs(rendered[overlay])
    kinds: dict[str, list[str]] = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d["metadata"]["name"])
    http = {"egov-intake", "egov-approval", "egov-notify", "egov-credit"}
    assert set(kinds["Deployment"]) == http
    assert kinds["StatefulSet"] == ["egov-monitor"]
    assert set(kinds["HorizontalPodAutoscaler"]) == http
    assert len(kinds["PodDisruptionBudget"]) == 5
    assert len(kinds["ServiceMonitor"]) == 5
    assert kinds["PrometheusRule"] == ["egov-alerts"]
    assert len(kinds["KafkaTopic"]) == len(registry.TOPICS) + len(gen_k8s.faust_topics())
    assert set(kinds["KafkaUser"]) == {access.principal(p) for p in access.parties()}
    assert "egov-default-deny" in kinds["NetworkPolicy"]
    assert "Secret" not in kinds, "secrets are created out of band, never committed"
    namespace = {"dev": "egov-dev", "prod": "egov"}[overlay]
    assert {d["metadata"].get("namespace") for d in docs} == {namespace}


@pytest.mark.parametrize("overlay", verify_ops.OVERLAYS)
def test_workloads_are_hardened_and_probed(rendered: dict[str, str], overlay: str) -> None:
    workloads = _docs(rendered[overlay], "Deployment") + _docs(rendered[overlay], "StatefulSet")
    assert len(workloads) == 5
    for w in workloads:
        pod = w["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        assert c["args"][0] == "serve", w["metadata"]["name"]
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert set(c["resources"]) == {"requests", "limits"}
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"]
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert pod["terminationGracePeriodSeconds"] >= 30
        assert {"secretRef": {"name": "egov-secrets"}} in c["envFrom"]


@pytest.mark.parametrize("overlay", verify_ops.OVERLAYS)
def test_monitor_workers_never_outnumber_partitions(rendered: dict[str, str], overlay: str) -> None:
    (monitor,) = _docs(rendered[overlay], "StatefulSet")
    partitions = min(registry.TOPICS[t].partitions for t in CASE_TOPICS)
    assert 1 <= monitor["spec"]["replicas"] <= partitions
    for hpa in _docs(rendered[overlay], "HorizontalPodAutoscaler"):
        assert hpa["spec"]["maxReplicas"] <= partitions


def test_dev_uses_single_replica_topics_and_prod_an_external_cluster(
    rendered: dict[str, str],
) -> None:
    for overlay, replicas, isr in (("dev", 1, "1"), ("prod", 3, "2")):
        for topic in _docs(rendered[overlay], "KafkaTopic"):
            assert topic["spec"]["replicas"] == replicas
            assert topic["spec"]["config"]["min.insync.replicas"] == isr

    def settings(overlay: str) -> dict[str, str]:
        maps = _docs(rendered[overlay], "ConfigMap")
        (cm,) = [m for m in maps if m["metadata"]["name"].startswith("egov-settings")]
        return cm["data"]

    assert settings("dev")["EGOV_KAFKA_BOOTSTRAP"].endswith(".svc:9092")
    assert settings("prod")["EGOV_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings("prod")["EGOV_JWT_ALGORITHM"] == "RS256"


def test_prod_services_log_in_to_kafka_each_as_its_own_user(rendered: dict[str, str]) -> None:
    """Username egov-<service>, password from the Secret Strimzi makes for that KafkaUser."""
    users = {u["metadata"]["name"] for u in _docs(rendered["prod"], "KafkaUser")}
    workloads = _docs(rendered["prod"], "Deployment") + _docs(rendered["prod"], "StatefulSet")
    logins = {}
    for w in workloads:
        (c,) = w["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in c["env"]}
        user = env["EGOV_KAFKA_SASL_USERNAME"]["value"]
        assert env["EGOV_KAFKA_SASL_PASSWORD"]["valueFrom"] == {
            "secretKeyRef": {"name": user, "key": "password"}
        }
        logins[w["metadata"]["name"]] = user
    assert logins == {f"egov-{s}": access.principal(s) for s in access.SERVICES}
    assert set(logins.values()) <= users
    (cm,) = [
        m
        for m in _docs(rendered["prod"], "ConfigMap")
        if m["metadata"]["name"].startswith("egov-settings")
    ]
    assert not any(k.startswith("EGOV_KAFKA_SASL_USER") for k in cm["data"]), "one shared user"


def test_dev_services_reference_no_kafka_user_secret(rendered: dict[str, str]) -> None:
    # The dev cluster's plain listener has no authentication; a missing Secret would keep the
    # pods from starting.
    for w in _docs(rendered["dev"], "Deployment") + _docs(rendered["dev"], "StatefulSet"):
        (c,) = w["spec"]["template"]["spec"]["containers"]
        assert not any(e["name"].startswith("EGOV_KAFKA_SASL") for e in c["env"])


@pytest.mark.parametrize("overlay", verify_ops.OVERLAYS)
def test_dashboards_ship_as_configmaps_for_the_grafana_sidecar(
    rendered: dict[str, str], overlay: str
) -> None:
    boards = [
        m
        for m in _docs(rendered[overlay], "ConfigMap")
        if m["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    uids = set()
    for cm in boards:
        (text,) = cm["data"].values()
        board = json.loads(text)
        uids.add(board["uid"])
        assert all(p["targets"] for p in board["panels"])
    assert uids == {"egov-supervision", "egov-platform-health", "egov-assessment"}


# ------------------------------------------------------------------ kubernetes-validate, checkov


@pytest.mark.parametrize("overlay", verify_ops.OVERLAYS)
def test_kubernetes_validate_accepts_every_builtin_resource(
    tools: verify_ops.Tools, rendered: dict[str, str], overlay: str
) -> None:
    assert verify_ops.validate_builtin(tools.kubernetes_validate, rendered[overlay]) == []
    assert verify_ops.check_custom_resources(rendered[overlay]) == []


def test_kubernetes_validate_rejects_a_broken_deployment(
    tools: verify_ops.Tools, rendered: dict[str, str]
) -> None:
    (deployment, *_) = _docs(rendered["dev"], "Deployment")
    deployment["spec"]["replicas"] = "two"
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    problems = verify_ops.validate_builtin(tools.kubernetes_validate, yaml.safe_dump(deployment))
    assert problems, "an invalid Deployment must be reported"


def test_a_malformed_kafka_user_is_reported(rendered: dict[str, str]) -> None:
    (user, *_) = _docs(rendered["prod"], "KafkaUser")
    assert verify_ops.check_custom_resources(yaml.safe_dump(user)) == []
    acl = user["spec"]["authorization"]["acls"][0]
    acl["resource"]["patternType"] = "prefixed"  # Kafka's spelling, not Strimzi's
    acl["operation"] = acl.pop("operations")[0]
    user["spec"]["authentication"]["type"] = "tls"
    problems = verify_ops.check_custom_resources(yaml.safe_dump(user))
    assert len(problems) == 3, problems


@pytest.mark.parametrize("overlay", verify_ops.OVERLAYS)
def test_checkov_passes_with_documented_skips(
    tools: verify_ops.Tools, rendered: dict[str, str], overlay: str
) -> None:
    assert verify_ops.run_checkov(tools.checkov, rendered[overlay]) == []
    assert verify_ops.checkov_skips(rendered[overlay]) == []


def test_checkov_reports_a_privileged_root_container(
    tools: verify_ops.Tools, rendered: dict[str, str]
) -> None:
    (deployment, *_) = _docs(rendered["dev"], "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"] = {"privileged": True, "runAsUser": 0}
    failed = verify_ops.run_checkov(tools.checkov, yaml.safe_dump(deployment))
    assert any("CKV_K8S_16" in f for f in failed), failed  # privileged container


# ------------------------------------------------------------------ promtool


def test_promtool_accepts_the_rules_and_the_local_config(tools: verify_ops.Tools) -> None:
    assert verify_ops.promtool_check_rules(tools.promtool) == []
    assert verify_ops.promtool_check_config(tools.promtool) == []


def test_every_alert_has_a_unit_test_firing_and_one_quiet() -> None:
    assert len(verify_ops.alert_names()) == 8
    assert verify_ops.alert_test_coverage() == []


def test_promtool_alert_unit_tests_pass(tools: verify_ops.Tools) -> None:
    assert verify_ops.promtool_test_rules(tools.promtool) == []


def test_promtool_unit_tests_catch_a_changed_threshold(
    tools: verify_ops.Tools, tmp_path: Path
) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    text = verify_ops.RULES_FILE.read_text(encoding="utf-8")
    assert "egov_monitor_consumer_lag_messages) > 1000" in text
    broken = text.replace(
        "egov_monitor_consumer_lag_messages) > 1000", "egov_monitor_consumer_lag_messages) > 5000"
    )
    (tmp_path / "rules" / "egov-alerts.yml").write_text(broken, encoding="utf-8")
    shutil.copy(verify_ops.RULE_TESTS, tmp_path / "tests" / verify_ops.RULE_TESTS.name)
    problems = verify_ops.promtool_test_rules(
        tools.promtool, tmp_path / "tests" / verify_ops.RULE_TESTS.name
    )
    assert problems and "EgovConsumerLagHigh" in problems[0]


def test_every_dashboard_expression_parses(tools: verify_ops.Tools) -> None:
    exprs = [e for _, _, e in verify_ops.dashboard_expressions()]
    assert len(exprs) >= 15
    assert verify_ops.promql_parse(tools.promtool, exprs) == []


def test_a_broken_expression_is_reported(tools: verify_ops.Tools) -> None:
    assert verify_ops.promql_parse(tools.promtool, ["sum by (service) (rate(x[5m])"])


# ------------------------------------------------------------------ metric names


def test_metric_names_are_extracted_from_promql() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, service) (rate(egov_http_request_duration_seconds_bucket"
        '{route!~"/x.*"}[5m]))) / on (service) group_left sum without (instance) (egov_a_total offset 5m)'
        ' or absent(up{job="egov-intake"}) > bool 3'
    )
    assert verify_ops.metric_names(expr) == {
        "egov_http_request_duration_seconds_bucket",
        "egov_a_total",
        "up",
    }


def test_exposed_names_include_histogram_series() -> None:
    exposition = (
        "# HELP egov_x_seconds x\n# TYPE egov_x_seconds histogram\n"
        "# HELP egov_y_total y\n# TYPE egov_y_total counter\n"
        'egov_y_total{service="a"} 1.0\negov_z 3\n'
    )
    names = verify_ops.exposed_names(exposition)
    assert {"egov_x_seconds_bucket", "egov_x_seconds_count", "egov_y_total", "egov_z"} <= names


def test_every_metric_used_by_dashboards_and_alerts_is_registered_by_a_service() -> None:
    missing = verify_ops.missing_metrics(verify_ops.registered_metric_names())
    assert missing == {}, f"used but not exposed by any service: {missing}"


def test_a_metric_no_service_exposes_is_reported() -> None:
    missing = verify_ops.missing_metrics({"up"})
    assert "egov_monitor_open_stages" in missing
    assert any("egov-supervision" in where for where in missing["egov_monitor_open_stages"])


def test_dashboard_variables_used_in_queries_are_defined() -> None:
    from deploy.ops_dashboards import DASHBOARDS

    for uid, board in DASHBOARDS.items():
        defined = {v["name"] for v in board["templating"]["list"]}
        for p in board["panels"]:
            for t in p["targets"]:
                used = set(re.findall(r"\$(\w+)", t["expr"]))
                assert used <= defined, (uid, p["title"], used - defined)


def test_every_alert_has_a_runbook_section() -> None:
    runbook = (verify_ops.REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    rules = yaml.safe_load(verify_ops.RULES_FILE.read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert f"\n### {rule['alert']}\n" in runbook, rule["alert"]
            assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"
