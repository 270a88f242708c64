"""The REST API under /api/v1/: thin views over services and queries, scoped by projects.access."""
