"""Metrics, structured logging and the health / readiness / metrics HTTP endpoints."""
