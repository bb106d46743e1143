"""Administration: user accounts (and, with the income feature, the audit log)."""
