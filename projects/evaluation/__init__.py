"""Model evaluation against gold dataset versions: metrics, runs, comparison of two runs, bad cases."""
