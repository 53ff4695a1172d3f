"""Pseudonyms and the suppression list: keyed hashes of personal data, never the data itself."""
