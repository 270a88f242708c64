"""Gold datasets: immutable versions with a content hash, deterministic splits, exports and datasheets."""
