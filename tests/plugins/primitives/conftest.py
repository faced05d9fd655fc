"""Fixtures for calling primitive nodes' ``invoke`` directly."""

from __future__ import annotations

import pytest

from nodeloom import InvocationContext


@pytest.fixture
def context(tmp_path) -> InvocationContext:
    """A standalone context over a private artifact folder."""
    return InvocationContext.standalone(str(tmp_path))
