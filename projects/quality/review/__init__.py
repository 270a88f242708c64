"""QA review: the review queue and pages' reads, verdicts and adjudications, the batch decision, and rework of rejected
work.
"""
