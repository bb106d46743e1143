"""Income: streams, budgets, entries, forecasts and period locks for finance officers."""
