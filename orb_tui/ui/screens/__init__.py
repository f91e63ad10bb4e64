"""Screens of the console: main, help, and the org-wide screens."""
