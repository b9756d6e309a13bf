"""python -m pipeline → the station CLI."""

from pipeline.cli.main import run

run()
