"""Contractors, their handovers and canaries, and attribution of findings (SPEC 14)."""
