"""Workforce control: who may go on labeling (gold gates, pauses and reinstatement)."""
