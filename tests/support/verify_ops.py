"""Verify the operations artefacts with the real tools (run by tests/ops and by hand).

    python -m tests.support.verify_ops                 # static checks (tools installed when missing)
    python -m tests.support.verify_ops --metrics-url http://127.0.0.1:8001/metrics ... \
        [--prometheus-url http://127.0.0.1:9090]  # plus the live checks

Static checks: generated files in sync (Strimzi topics and users, PrometheusRule, dashboards,
workloads, the prod overlay's Kafka credentials);
`kubectl kustomize` renders both overlays; `kubernetes-validate --strict` accepts every built-in
resource; `checkov` passes (skips carry their reason in a `checkov.io/skipN` annotation);
`promtool check rules` and `promtool test rules` (every alert has a firing and a quiet case);
every PromQL expression of the dashboards parses.
Live checks: every metric name used by the dashboards and rules is exposed on some /metrics;
every dashboard query returns data through Prometheus' HTTP API.

Tools: kubectl (Debian kubernetes-client), promtool (Debian prometheus; `apt-get install`
when running as root), kubernetes-validate and checkov (pinned in
tests/support/ops-tools-requirements.txt, installed into .dev/tools-venv so that checkov's many
dependencies never meet the services' pinned stack).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from dev.tools import apt_install

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
PROM_DIR = REPO_ROOT / "deploy" / "prometheus"
RULES_FILE = PROM_DIR / "rules" / "egov-alerts.yml"
RULE_TESTS = PROM_DIR / "tests" / "egov-alerts.test.yml"
TOOLS_VENV = REPO_ROOT / ".dev" / "tools-venv"
TOOLS_REQUIREMENTS = REPO_ROOT / "tests" / "support" / "ops-tools-requirements.txt"
KUBERNETES_VERSION = "1.32.0"  # the Kubernetes version the manifests target
# Groups whose kinds are Kubernetes built-ins (kubernetes-validate has their schemas).
BUILTIN_GROUPS = {
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
}
# Series Prometheus makes itself, not read from a service's /metrics.
SYNTHETIC_METRICS = {
    "up",
    "ALERTS",
    "ALERTS_FOR_STATE",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_series_added",
    "scrape_samples_post_metric_relabeling",
}


class ToolMissing(RuntimeError):
    """A tool could not be found or installed; the message says which and why."""


@dataclass(frozen=True)
class Tools:
    kubectl: str
    promtool: str
    kubernetes_validate: str
    checkov: str


def _run(
    argv: Sequence[str], *, cwd: Path = REPO_ROOT, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout)


# ------------------------------------------------------------------ tools


def find_kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        apt_install("kubernetes-client")
        path = shutil.which("kubectl")
    if path is None or _run([path, "kustomize", "--help"]).returncode != 0:
        raise ToolMissing("kubectl with the kustomize sub-command (Debian kubernetes-client)")
    return path


def _from_prometheus_package(command: str) -> str:
    """``command`` of Debian's prometheus package, installed (as root) when missing."""
    path = shutil.which(command)
    if path is None:
        apt_install("prometheus")
        path = shutil.which(command)
    if path is None:
        raise ToolMissing(f"{command} (Debian package prometheus); run as root or install it")
    return path


def find_promtool() -> str:
    return _from_prometheus_package("promtool")


def find_prometheus() -> str:
    return _from_prometheus_package("prometheus")


def find_python_tools() -> tuple[str, str]:
    """(kubernetes-validate, checkov) from .dev/tools-venv, created and filled when missing."""
    bin_dir = TOOLS_VENV / "bin"
    wanted = (bin_dir / "kubernetes-validate", bin_dir / "checkov")
    if not all(p.exists() for p in wanted):
        if not (bin_dir / "python").exists():
            made = _run([sys.executable, "-m", "venv", str(TOOLS_VENV)])
            if made.returncode != 0:
                raise ToolMissing(f"cannot create {TOOLS_VENV}: {made.stderr[-500:]}")
        pip = _run(
            [str(bin_dir / "python"), "-m", "pip", "install", "-q", "-r", str(TOOLS_REQUIREMENTS)],
            timeout=1200,
        )
        if pip.returncode != 0:
            raise ToolMissing(
                f"pip install -r {TOOLS_REQUIREMENTS.name} failed: {pip.stderr[-800:]}"
            )
    return str(wanted[0]), str(wanted[1])


def ensure_tools() -> Tools:
    kv, checkov = find_python_tools()
    return Tools(find_kubectl(), find_promtool(), kv, checkov)


# ------------------------------------------------------------------ manifests


def generated_drift() -> list[str]:
    from deploy.gen_k8s import drift

    return drift()


def render_overlay(kubectl: str, overlay: str) -> str:
    result = _run([kubectl, "kustomize", str(K8S / "overlays" / overlay)])
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize overlays/{overlay} failed:\n{result.stderr}")
    return result.stdout


def documents(rendered: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered) if d]


def is_builtin(doc: dict[str, Any]) -> bool:
    api = str(doc.get("apiVersion", ""))
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    return group in BUILTIN_GROUPS


def validate_builtin(kubernetes_validate: str, rendered: str) -> list[str]:
    """Problems kubernetes-validate --strict finds in the built-in resources (empty: valid)."""
    builtin = [d for d in documents(rendered) if is_builtin(d)]
    if not builtin:
        return ["no built-in resource rendered"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "builtin.yaml"
        path.write_text(yaml.safe_dump_all(builtin), encoding="utf-8")
        result = _run(
            [kubernetes_validate, "--strict", "--quiet", "-k", KUBERNETES_VERSION, str(path)]
        )
    out = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or "ERROR" in out:
        return [line for line in out.splitlines() if line.strip()] or [f"exit {result.returncode}"]
    return []


def check_custom_resources(rendered: str) -> list[str]:
    """Structural checks of the CRD instances kubernetes-validate has no schema for."""
    problems = []
    for doc in documents(rendered):
        kind, name = doc.get("kind"), doc.get("metadata", {}).get("name", "?")
        spec = doc.get("spec", {})
        if kind == "KafkaTopic":
            if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
                problems.append(f"KafkaTopic {name}: not a DNS-1123 name")
            if not isinstance(spec.get("partitions"), int) or spec["partitions"] < 1:
                problems.append(f"KafkaTopic {name}: partitions must be a positive integer")
            if not isinstance(spec.get("replicas"), int) or spec["replicas"] < 1:
                problems.append(f"KafkaTopic {name}: replicas must be a positive integer")
            if not all(isinstance(v, str | int) for v in spec.get("config", {}).values()):
                problems.append(f"KafkaTopic {name}: config values must be scalars")
            if "strimzi.io/cluster" not in doc["metadata"].get("labels", {}):
                problems.append(f"KafkaTopic {name}: missing strimzi.io/cluster label")
        elif kind == "KafkaUser":
            problems += _kafka_user_problems(name, doc)
        elif kind == "ServiceMonitor":
            if not spec.get("selector", {}).get("matchLabels") or not spec.get("endpoints"):
                problems.append(f"ServiceMonitor {name}: needs selector.matchLabels and endpoints")
        elif kind == "PrometheusRule" and not spec.get("groups"):
            problems.append(f"PrometheusRule {name}: no groups")
    return problems


def _kafka_user_problems(name: str, doc: dict[str, Any]) -> list[str]:
    """What Strimzi's User Operator would refuse (or silently drop) in a KafkaUser."""
    spec = doc.get("spec", {})
    problems = []
    if "strimzi.io/cluster" not in doc["metadata"].get("labels", {}):
        problems.append(f"KafkaUser {name}: missing strimzi.io/cluster label")
    if spec.get("authentication", {}).get("type") != "scram-sha-512":
        problems.append(f"KafkaUser {name}: authentication must be scram-sha-512")
    authorization = spec.get("authorization", {})
    if authorization.get("type") != "simple" or not authorization.get("acls"):
        problems.append(f"KafkaUser {name}: needs simple authorization with acls")
    for acl in authorization.get("acls", []):
        resource = acl.get("resource", {})
        if resource.get("type") not in ("topic", "group", "cluster", "transactionalId"):
            problems.append(f"KafkaUser {name}: unknown resource {resource}")
        elif resource["type"] != "cluster" and (
            not resource.get("name") or resource.get("patternType") not in ("literal", "prefix")
        ):
            problems.append(f"KafkaUser {name}: {resource} needs a name and a patternType")
        if not acl.get("operations") or "operation" in acl:
            problems.append(f"KafkaUser {name}: give `operations` (a list), not `operation`")
    return problems


def run_checkov(checkov: str, rendered: str) -> list[str]:
    """Failed checkov checks (empty: passed). Skips are annotations with their reason."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "rendered.yaml").write_text(rendered, encoding="utf-8")
        result = _run(
            [
                checkov,
                "-d",
                tmp,
                "--framework",
                "kubernetes",
                "--output",
                "json",
                "--quiet",
                "--skip-download",
            ]
        )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        if result.returncode == 0:
            return []
        return [f"checkov exit {result.returncode}: {result.stderr[-800:]}"]
    reports = report if isinstance(report, list) else [report]
    failed = []
    for rep in reports:
        for check in rep.get("results", {}).get("failed_checks", []):
            failed.append(f"{check['check_id']} {check['check_name']} on {check['resource']}")
    return failed


def checkov_skips(rendered: str) -> list[str]:
    """Every skip annotation must give a reason after '='."""
    problems = []
    for doc in documents(rendered):
        for key, value in (doc.get("metadata", {}).get("annotations") or {}).items():
            if key.startswith("checkov.io/skip") and (
                "=" not in value or len(value.split("=", 1)[1].strip()) < 10
            ):
                problems.append(f"{doc['kind']} {doc['metadata']['name']}: {key} has no reason")
    return problems


# ------------------------------------------------------------------ rules and PromQL


def promtool_check_rules(promtool: str, path: Path = RULES_FILE) -> list[str]:
    result = _run([promtool, "check", "rules", str(path)])
    return [] if result.returncode == 0 else [(result.stdout + result.stderr).strip()]


def promtool_check_config(
    promtool: str, path: Path = PROM_DIR / "prometheus.local.yml"
) -> list[str]:
    result = _run([promtool, "check", "config", str(path)])
    return [] if result.returncode == 0 else [(result.stdout + result.stderr).strip()]


def promtool_test_rules(promtool: str, path: Path = RULE_TESTS) -> list[str]:
    result = _run([promtool, "test", "rules", path.name], cwd=path.parent)
    return [] if result.returncode == 0 else [(result.stdout + result.stderr).strip()]


def alert_names(path: Path = RULES_FILE) -> list[str]:
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]


def alert_test_coverage(rules: Path = RULES_FILE, tests: Path = RULE_TESTS) -> list[str]:
    """Each alert needs a test case where it fires and one where it stays quiet."""
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in yaml.safe_load(tests.read_text(encoding="utf-8"))["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    problems = []
    for name in alert_names(rules):
        if name not in fired:
            problems.append(f"{name}: no unit test shows it firing")
        if name not in quiet:
            problems.append(f"{name}: no unit test shows it quiet")
    return problems


def rule_expressions(path: Path = RULES_FILE) -> list[tuple[str, str]]:
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (r.get("alert") or r.get("record"), r["expr"]) for g in rules["groups"] for r in g["rules"]
    ]


def dashboard_expressions() -> list[tuple[str, str, str]]:
    from deploy.ops_dashboards import expressions

    return expressions()


def promql_parse(promtool: str, exprs: Iterable[str]) -> list[str]:
    """Parse expressions with promtool (a synthetic rules file of recording rules)."""
    exprs = list(exprs)
    rules = {
        "groups": [
            {
                "name": "parse",
                "rules": [
                    {"record": f"egov_ops_check:expr_{i}", "expr": e} for i, e in enumerate(exprs)
                ],
            }
        ]
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "exprs.yml"
        path.write_text(yaml.safe_dump(rules), encoding="utf-8")
        result = _run([promtool, "check", "rules", str(path)])
    return [] if result.returncode == 0 else [(result.stdout + result.stderr).strip()]


_KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
    "Inf",
    "NaN",
    "start",
    "end",
    "atan2",
}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, labels and keywords removed)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name in _KEYWORDS:
            continue
        names.add(name)
    return names


def used_metric_names() -> dict[str, set[str]]:
    """metric name -> where it is used (alert names and 'dashboard/panel')."""
    used: dict[str, set[str]] = {}
    for name, expr in rule_expressions():
        for metric in metric_names(expr):
            used.setdefault(metric, set()).add(f"alert {name}")
    for uid, title, expr in dashboard_expressions():
        for metric in metric_names(expr):
            used.setdefault(metric, set()).add(f"{uid}/{title}")
    return used


# ------------------------------------------------------------------ live checks


def _get(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local URLs)
        return response.read().decode("utf-8", errors="replace")


def exposed_names(exposition: str) -> set[str]:
    """Every series name an exposition offers, including histogram _bucket/_sum/_count."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        # the parser names a counter family without its _total suffix; its series have it
        names.add(f"{family.name}_total" if family.type == "counter" else family.name)
        if family.type in ("histogram", "summary"):
            names.update({f"{family.name}_bucket", f"{family.name}_sum", f"{family.name}_count"})
        names.update(sample.name for sample in family.samples)
    return names


def exposed_metric_names(metrics_urls: Iterable[str]) -> set[str]:
    names: set[str] = set()
    for url in metrics_urls:
        names |= exposed_names(_get(url))
    return names


def registered_metric_names() -> set[str]:
    """Every series name the services' code registers (imports each services.* module but
    never a __main__, then reads the default registry). The live /metrics check is stronger;
    this one needs no running service."""
    import importlib
    import pkgutil

    from prometheus_client import REGISTRY, generate_latest

    import services

    for module in pkgutil.walk_packages(services.__path__, "services."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return exposed_names(generate_latest(REGISTRY).decode())


def missing_metrics(exposed: set[str]) -> dict[str, set[str]]:
    """Metric names the dashboards and rules use that no service exposes -> where used."""
    return {
        name: where
        for name, where in sorted(used_metric_names().items())
        if name not in exposed and name not in SYNTHETIC_METRICS
    }


def prometheus_query(prometheus_url: str, expr: str) -> list[dict[str, Any]]:
    url = f"{prometheus_url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    body = json.loads(_get(url))
    if body.get("status") != "success":
        raise AssertionError(f"query failed: {expr}: {body}")
    return list(body["data"]["result"])


def empty_panels(prometheus_url: str) -> list[str]:
    """Dashboard targets whose query returns no series right now."""
    return [
        f"{uid} / {title}: {expr}"
        for uid, title, expr in dashboard_expressions()
        if not prometheus_query(prometheus_url, expr)
    ]


# ------------------------------------------------------------------ all static checks


def static_checks(tools: Tools) -> dict[str, list[str]]:
    """Check name -> problems (every list empty: everything passed)."""
    results: dict[str, list[str]] = {"generated files in sync": generated_drift()}
    for overlay in OVERLAYS:
        rendered = render_overlay(tools.kubectl, overlay)
        results[f"kubernetes-validate {overlay}"] = validate_builtin(
            tools.kubernetes_validate, rendered
        )
        results[f"custom resources {overlay}"] = check_custom_resources(rendered)
        results[f"checkov {overlay}"] = run_checkov(tools.checkov, rendered)
        results[f"checkov skip reasons {overlay}"] = checkov_skips(rendered)
    results["promtool check rules"] = promtool_check_rules(tools.promtool)
    results["promtool test rules"] = promtool_test_rules(tools.promtool)
    results["promtool check config (local)"] = promtool_check_config(tools.promtool)
    results["every alert tested firing and quiet"] = alert_test_coverage()
    results["metric names registered by the services"] = [
        f"{m} (used by {', '.join(sorted(w))})"
        for m, w in missing_metrics(registered_metric_names()).items()
    ]
    results["dashboard PromQL parses"] = promql_parse(
        tools.promtool, [e for _, _, e in dashboard_expressions()]
    )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metrics-url", action="append", default=[], help="a service's /metrics")
    parser.add_argument("--prometheus-url", help="Prometheus scraping those services")
    args = parser.parse_args(argv)
    try:
        tools = ensure_tools()
    except ToolMissing as missing:
        print(f"verify_ops: tool missing: {missing}", file=sys.stderr)
        return 2
    results = static_checks(tools)
    if args.metrics_url:
        missing = missing_metrics(exposed_metric_names(args.metrics_url))
        results["metric names exposed"] = [
            f"{m} (used by {', '.join(sorted(w))})" for m, w in missing.items()
        ]
    if args.prometheus_url:
        results["dashboard panels return data"] = empty_panels(args.prometheus_url)
    failed = 0
    for name, problems in results.items():
        print(f"{'ok  ' if not problems else 'FAIL'} {name}")
        for problem in problems:
            print(f"       {problem}")
        failed += bool(problems)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
