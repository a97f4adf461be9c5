"""Intake: service catalog, case submission, tracking, ratings, external submissions."""
