"""Foundations every other part imports: paths, warehouse, keyring, tokens, processes, Cube server. Imports nothing else of the project."""
