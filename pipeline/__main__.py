"""python -m pipeline → the station CLI (through the preloading command server when one is running)."""

from pipeline.cli.preload import run

run()
