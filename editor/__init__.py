"""Cutwise: a desktop assistant for non-linear video editing."""

__version__ = "0.1.0"
