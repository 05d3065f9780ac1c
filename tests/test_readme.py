"""The README's configuration table names every setting (``app/config.py`` is the only reader of the
environment): a setting added without its row fails here."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    text = README.read_text()
    table = text[text.index("## Configuration") :]
    table = table[: table.index("\n## ", 1)]
    missing = []
    for name in Settings.model_fields:
        variable = f"NETCOP_{name.upper()}"
        # a pair of settings shares a row as `NETCOP_X_RATE_...` / `..._BURST_...`
        shared = "_BURST_" in variable and "..._BURST_..." in table
        if variable not in table and not shared:
            missing.append(variable)
    assert missing == []
