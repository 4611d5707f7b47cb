"""Schakel: matching and network maps for Netwerk Met Andere Ogen."""

__version__ = "0.1.0"
