"""A simulated day of a city's service hall: the demo (`python -m demo`); the end-to-end suite and
the chaos run share its scenario (the process launcher and the invariant checker are test
harnesses in tests/support)."""
