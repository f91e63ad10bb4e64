"""orb-tui: a keyboard-driven terminal console for ORB Cloud, with a local ORB server built in."""

from __future__ import annotations

__version__ = "0.1.0"
