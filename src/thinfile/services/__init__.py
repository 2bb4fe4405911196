"""Use cases: each one is a unit of work, one transaction committed once."""
