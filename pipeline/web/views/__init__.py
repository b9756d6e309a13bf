"""Views of the web interface: each parses the request, calls a service or selector, renders."""
