"""Anomaly flags per annotator (too fast, straight-lining, gold-failure streaks, drift) read from the database and kept
per project.
"""
