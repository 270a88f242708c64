"""A batch's consensus: one label per task and control from gold, adjudication or aggregation, and its storage."""
