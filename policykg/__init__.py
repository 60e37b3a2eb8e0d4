"""policykg: a knowledge graph of medical coverage policies with coverage checks and evidence traces."""

__version__ = "0.1.0"
