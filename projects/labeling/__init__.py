"""Labeling projects, batches and tasks: label configs, batch status, the tallies the dashboard reads, and their reads.

"""
