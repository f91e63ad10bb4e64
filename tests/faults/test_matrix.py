"""The fault matrix: every screen and action of the console through every kind of server fault.

A proxy on loopback (`proxy.py`) sits between the console and the real local server and fails
on purpose. For each cell the console must: raise nothing (the app still runs, no exception
reached Textual), say what failed in plain words (a status line, a note or a notification; never
an exception's repr), lose no edit, come back once the fault is gone, and back off while it lasts.

How the matrix is chosen (105 cells in 32 tests):

- The poll path (the computers list, every `poll_interval`) runs through all 13 HTTP faults:
  refused and reset connections, a delay past the request timeout, an answer cut midway,
  500/502/503/429 with a JSON body, an HTML body or none, 429 with Retry-After, truncated JSON
  and a 200 that is not JSON (this file and `test_matrix_poll.py`, halves so xdist spreads
  them). It is the one path that runs unattended for hours, where a request storm or a stuck
  error would hurt most: each cell also counts the requests sent during a 1.5 s outage and
  checks recovery within one backoff step plus one poll interval.
- Every other row gets a representative set, one fault per way the client can fail; the other
  faults differ only in a status or a body text, which the poll row and
  `tests/unit/test_api_errors.py` cover through the same client code.
  Screens and tabs loading get `LOADS` (7): refused (no answer at all), cut (broken mid-answer),
  delay (timeout), 503-json (an error with words), 502-html (a proxy's error page),
  truncated-json and not-json (an answer that is not what the API promised). Rows: the Agents,
  Files, Build and Config tabs (`test_matrix_tabs.py`); the Keys and Webhooks screens, the
  Webhooks screen's polled deliveries and the Usage screen (`test_matrix_org.py`).
  Actions that change something get `ACTIONS` (5): refused, cut and truncated-json (the server
  acted but the answer was lost), 503-json and delay. Rows: create and delete computer and config
  upload, which also proves the edit survives in the editor and in the draft file
  (`test_matrix_actions.py`); signing in on the Profiles screen (`test_matrix_org.py`); exec
  (`test_matrix_tabs.py`), deploy and build (`test_matrix_runtime.py`), which wait their own
  long timeouts by design, so there a delay is a slow command, not a fault.
  Each row runs its faults one after another in one console, aimed at that row's request only
  (the computers poll keeps working beside it); a user-driven action must send exactly one
  request per try (no retry loop), a polled one stays under a bound.
- The terminal's WebSocket (`test_matrix_terminal.py`, 4): dropped, stalled, refused before
  the upgrade and answered 503 at the upgrade; the banner must say so, reconnection back off,
  and the shell work again (what was typed during a stall arrives once it ends).
"""

from __future__ import annotations

from typing import Any

import pytest
from poll_kit import poll_cell
from proxy import HTTP_FAULTS, FaultProxy
from server_harness import Org


@pytest.mark.parametrize("fault", HTTP_FAULTS[:7])
async def test_poll(
    fault: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    await poll_cell(fault, proxy, proxied_org, faulty_app, until, notices)
