"""Loaders: one module per source, each turning its source into RDF for one named graph.

Installed as `policykg.loaders` (see pyproject's package-dir); modules here import each other
relatively and never as a top-level `loaders` package.
"""
