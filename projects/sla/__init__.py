"""SLA policies, monitor and forecast."""
