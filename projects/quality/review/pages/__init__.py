"""Reads for the QA review pages, one module per page part: how the label config and a task are shown
(`display`), what a reviewer can choose (`choices`), the review queue (`queue`), adjudication (`adjudication`)
and the batch decision (`decision`). Writes stay in projects.quality.review.verdicts.
"""
