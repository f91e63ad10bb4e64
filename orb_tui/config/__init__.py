"""Paths, settings, profiles and credentials: everything the console reads from disk, no Textual."""
