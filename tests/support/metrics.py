"""Prometheus metrics in tests and benchmarks: what this process's registry holds (label
cardinality) and what another process exposes (its /metrics text, read by prometheus_client's
own parser)."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def label_sets(family: str, **labels: str) -> set[tuple[tuple[str, str], ...]]:
    """The distinct label sets (time series) of a metric family that carry ``labels``."""
    found = set()
    for metric in REGISTRY.collect():
        if metric.name != family:
            continue
        for sample in metric.samples:
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                found.add(tuple(sorted(sample.labels.items())))
    return found


def sample_sum(exposition: str, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels`` (Prometheus text)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )
