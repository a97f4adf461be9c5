"""Generators of the deployment files beside them: Kubernetes manifests, dashboards, Kafka users."""
