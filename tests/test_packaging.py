"""Installing loupe: `make run` installs it editable, and that must print no warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_editable_install_prints_no_warning(tmp_path: Path) -> None:
    # Into a scratch prefix (--ignore-installed: pip would uninstall the loupe these tests
    # run), offline, with the setuptools the [test] extra installs.
    result = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--ignore-installed", "--no-deps", "--no-index", "--no-build-isolation",
            "--no-warn-script-location", "--prefix", str(tmp_path / "prefix"), "-e", str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warn" not in output.lower(), output
