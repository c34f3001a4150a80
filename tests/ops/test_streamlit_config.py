"""The Streamlit configuration the app runs with (`make run` and production read .streamlit/config.toml)."""

from __future__ import annotations

import tomllib

from services.platform.config import PROJECT_ROOT

CONFIG = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_tables_offer_no_download_or_copy_of_their_data():
    """Person data leaves only through the app's own exports (neutralised, audited), never a table's CSV."""
    assert CONFIG["client"]["disableDataExport"] is True


def test_no_error_details_and_no_usage_statistics_leave_the_server():
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["server"]["enableXsrfProtection"] is True
