"""Without Debian's Chromium the browser tests fail, saying how to install it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.slack.web import chromium


def test_a_missing_chromium_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(chromium, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(chromium.ChromiumMissing) as missing:
        chromium.require_chromium()
    assert str(missing.value) == (
        f"Chromium is not installed at {tmp_path / 'chromium'}: install it with "
        "`apt-get update && apt-get install -y chromium` (as root, `make test` does this)."
    )
