"""Test-only helpers for the search app (no Django imports here)."""
