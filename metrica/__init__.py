"""Metrica: anonymous people counting from existing CCTV."""

__version__ = "0.1.0"
