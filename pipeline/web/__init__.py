"""The web interface (issue 14): Django views over the same services and selectors as the CLI."""
