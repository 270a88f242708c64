"""The demo: a generated aftersales project with simulated annotators. Loaded only by the `demo` command, never by
production code.
"""

from projects.audit import Actor

# What the demo sets up, the audit log names as annotate itself running the demo command.
DEMO = Actor.system("demo", via="command demo")
