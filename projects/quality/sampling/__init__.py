"""QA samples: which annotations of a batch reviewers see and why, drawn and stored."""
