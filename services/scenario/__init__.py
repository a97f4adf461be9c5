"""A simulated day of a city's service hall: the demo (`egov demo`), the end-to-end suite and the
chaos run share this scenario, the process launcher and the independent invariant checker."""
