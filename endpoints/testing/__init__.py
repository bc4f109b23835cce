"""Stand-ins for outside systems, for the test suite and the demo only."""
