"""Management commands: thin command-line interfaces over the services, with progress bars for long runs."""
