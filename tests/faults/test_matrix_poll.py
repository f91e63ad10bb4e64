"""Fault matrix, the poll row's second half (see `test_matrix.py`; split so xdist spreads them)."""

from __future__ import annotations

from typing import Any

import pytest
from poll_kit import poll_cell
from proxy import HTTP_FAULTS, FaultProxy
from server_harness import Org


@pytest.mark.parametrize("fault", HTTP_FAULTS[7:])
async def test_poll(
    fault: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    await poll_cell(fault, proxy, proxied_org, faulty_app, until, notices)
