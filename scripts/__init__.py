"""Developer and CI scripts (local stack, test runner, local platform); never imported by code."""
