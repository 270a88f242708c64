"""The demo: a generated aftersales project with simulated annotators. Loaded only by the `demo` command, never by
production code.
"""
