"""Test-only pause points, so a test can kill an operation at a known step.

Tests of "killed half way" run loupe in a subprocess with `LOUPE_TEST_PAUSE_AT` naming a step
and `LOUPE_TEST_PAUSE_FILE` a marker file. On reaching that step the process writes the
marker and blocks until it is killed: the test waits for the marker, kills, and knows exactly
what was done, without sleeping or racing. Nothing sets these variables outside the tests;
unset, `reached` returns at once.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

STEP_ENV = "LOUPE_TEST_PAUSE_AT"
MARKER_ENV = "LOUPE_TEST_PAUSE_FILE"


def reached(step: str) -> None:
    if os.environ.get(STEP_ENV) != step:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    while True:
        signal.pause()
