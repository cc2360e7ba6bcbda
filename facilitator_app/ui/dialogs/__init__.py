"""Dialogs emit their result as a signal and delete themselves on close."""
