"""Parsers for small configuration formats."""
