"""Reports an inspector reads: yearly statistics, charts (pure SVG), and their output files."""
