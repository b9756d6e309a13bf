"""Assigning candidates to rooms and sessions and examiners to rooms (OR-Tools CP-SAT)."""
