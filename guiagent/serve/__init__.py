"""Serving a model for guiagent: each family's server flags, and starting a server with them."""

from .families import FAMILIES, ServingFacts, facts_for, family_for_model

__all__ = ["FAMILIES", "ServingFacts", "facts_for", "family_for_model"]
