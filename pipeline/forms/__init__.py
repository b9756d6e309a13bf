"""Forms: the registry of every form the regulation names, builders (DB rows → data) and the service."""
