"""QA review: the review queue and pages' reads, verdicts and adjudications, the batch decision, the default error
taxonomy, and rework of rejected work.
"""
