"""Budget monitoring: the period pack as at any month end."""
