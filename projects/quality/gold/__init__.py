"""Gold: scoring annotators against gold answers and retiring gold a vendor has seen too often (mixing gold into
batches at push is batch planning: projects/labeling/gold_mixing.py).
"""
