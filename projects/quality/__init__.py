"""Quality: gold scoring, agreement, consensus, QA sampling, review and rework, anomaly flags; the maths in
quality.stats.
"""
