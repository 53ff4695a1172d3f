"""Connectors that pull feeds from remote systems into the landing folders."""
