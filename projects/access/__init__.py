"""Who may see what: roles as Django groups, and the one place vendor-side querysets are scoped."""
