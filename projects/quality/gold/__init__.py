"""Gold: mixing the project's gold set into batches at push, scoring annotators against gold, retiring overexposed
gold.
"""
