"""The quarterly financial resilience return: preview, downloads, submission and export history."""
