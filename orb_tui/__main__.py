"""`python -m orb_tui`: the same as the `orb-tui` command."""

from __future__ import annotations

import sys

from orb_tui.cli import main

sys.exit(main())
