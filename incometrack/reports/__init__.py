"""Read-side computations. Each returns frozen dataclasses built from SQL aggregates; pages,
exports and the CLI render those objects and never query for figures themselves."""
