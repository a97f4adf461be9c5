"""Approval: pre-review, staged workflow, separated roles, parallel approval, suspension,
audit chain."""
