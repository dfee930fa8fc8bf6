"""The `mmrag` command line."""
