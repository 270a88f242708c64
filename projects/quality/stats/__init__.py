"""The statistics behind quality (pure, no Django): agreement, aggregation, bootstrap and Wilson intervals, answer
comparison, sampling and anomaly maths.
"""
