"""Privacy: finding a person across the warehouse and erasing them (docs/privacy.md)."""
