"""Hardening tests: hostile queries, files and input (docs/security.md)."""
