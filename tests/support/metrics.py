"""What the process's Prometheus registry holds: for tests of label cardinality."""

from __future__ import annotations

from prometheus_client import REGISTRY


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
