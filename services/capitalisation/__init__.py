"""Capitalisation of field practice: practice notes, guides, their Word export (services/capitalisation)."""
