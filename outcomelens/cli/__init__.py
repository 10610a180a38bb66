"""The command line: the top layer, imported by nothing."""
