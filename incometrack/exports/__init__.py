"""Renderers: each takes a report object and writes bytes. They never query the database."""
