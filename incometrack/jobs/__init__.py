"""Long downloads and imports run by the worker, and the pages that follow them."""
