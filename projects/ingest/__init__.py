"""Task import: file readers (CSV, JSONL, Label Studio JSON; UTF-8, BOM, GB18030), validation before any write, PII
redaction, language detection.
"""
