"""Labeling projects, batches and tasks: label configs, batch planning (gold mixing), batch status, marking tallies
stale, and their reads.
"""
