"""The catalog: a Django app holding round data, form instances and the archive's index cards.

Derived from archive/ (rebuildable); writes go through services.py, reads through selectors.py.
"""
