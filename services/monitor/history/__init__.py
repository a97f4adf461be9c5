"""The supervision history: projections of the bus in MongoDB, period rollups, the department
assessment (绩效考核) and the public statistics computed from them (docs/assessment.md)."""
