"""Django plumbing: settings, URLconf, manage.py and the set-up the CLI calls."""
