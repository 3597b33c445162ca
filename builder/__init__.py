"""nb2service: build a Jupyter notebook that trains a model into a verified REST model service."""

__version__ = "0.1.0"
