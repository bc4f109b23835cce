"""Console pages, one module per object they manage."""
