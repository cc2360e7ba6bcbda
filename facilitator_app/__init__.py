"""Facilitator Field Kit: the offline field tool for primary-care practice facilitators."""

__version__ = "0.1.0"
