"""Auth types: one module each, behind the interface in `base`."""
