"""Database helpers the domain packages share: PostgreSQL COPY for bulk writes and the branches by database vendor."""
