"""The Streamlit configuration the app runs with (`make run` and production read .streamlit/config.toml)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

from services.platform.config import PROJECT_ROOT

CONFIG = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def _run_in_streamlits_process(script: str) -> subprocess.CompletedProcess:
    """`script` run by Python from the project's folder, as `streamlit run` reads its configuration there (no
    STREAMLIT_ variable of the test's environment overriding the file); it must succeed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


def test_tables_offer_no_download_or_copy_of_their_data():
    """Person data leaves only through the app's own exports (neutralised, audited), never a table's CSV."""
    assert CONFIG["client"]["disableDataExport"] is True


def test_no_error_details_and_no_usage_statistics_leave_the_server():
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["server"]["enableXsrfProtection"] is True


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(colour: str, background: str) -> float:
    lighter, darker = sorted((_luminance(colour), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _faded(colour: str, opacity: float, background: str = "#ffffff") -> str:
    """The colour Streamlit draws captions, help and placeholders in: the text colour at 60 % opacity."""
    mixed = [
        round(opacity * int(colour[i : i + 2], 16) + (1 - opacity) * int(background[i : i + 2], 16)) for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def test_captions_and_code_are_readable_on_the_light_theme():
    """WCAG AA (4.5:1) for small text: captions are the text colour at 60 % opacity, on white and on
    Streamlit's light grey (#f0f2f6, sidebar and code backgrounds); inline code the same in a caption.
    Measured by axe-core before the change: 3.88:1 (captions), 3.03:1 (code)."""
    theme = CONFIG["theme"]
    assert theme["base"] == "light"
    for colour in (theme["textColor"], theme["codeTextColor"]):
        for background in ("#ffffff", "#f0f2f6"):
            assert _contrast(_faded(colour, 0.6, background), background) >= 4.5, (colour, background)


def test_section_headings_are_drawn_at_the_size_of_streamlits_h3():
    """Pages use st.header (h2) under st.title (h1): the h2 keeps the size sections had as h3."""
    assert CONFIG["theme"]["headingFontSizes"][:2] == ["2.75rem", "1.75rem"]


def test_the_start_up_message_names_the_local_address_without_looking_up_the_public_one():
    """`make run` prints « URL: http://localhost:8501 » and nothing that reads like an error: Streamlit, read
    with this configuration, never asks the Internet for the machine's public address (offline, that lookup
    logged « Did not auto detect external IP… debugging hints »)."""
    script = (
        "from streamlit import config, net_util\n"
        "config.get_config_options(force_reparse=True)\n"
        "def looked_up():\n"
        "    raise SystemExit('the external IP was looked up')\n"
        "net_util.get_external_ip = looked_up\n"
        "from streamlit.web import bootstrap\n"
        "bootstrap._print_url(False)\n"
    )
    done = _run_in_streamlits_process(script)
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    assert lines == ["You can now view your Streamlit app in your browser.", "URL: http://localhost:8501"], lines
    assert "debugging hints" not in done.stderr


def test_the_warm_up_logs_no_missing_script_run_context_warning(monkeypatch):
    """The warm-up reads cached resources outside a script run on purpose: Streamlit's « missing
    ScriptRunContext! » warning is dropped for its thread, and only for it."""
    import logging
    import threading

    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    from ui.platform import warmup

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger(warmup.SCRIPT_RUN_CONTEXT_LOGGER)
    logger.addHandler(handler)
    monkeypatch.setattr(warmup, "_prepare_process", lambda: get_script_run_ctx())
    try:
        for target in (warmup.prepare_process, get_script_run_ctx):
            thread = threading.Thread(target=target)
            thread.start()
            thread.join()
    finally:
        logger.removeHandler(handler)
    assert [record.getMessage().split("': ")[-1][:27] for record in records] == ["missing ScriptRunContext! T"]


def test_no_full_garbage_collection_after_each_script_run():
    """Streamlit's default gc.collect(2) after every run cost about 250 ms of each click here (« Mon compte »:
    306 ms with it, 16 ms without, bench/load.py): the option, as Streamlit reads this file, is off."""
    script = (
        "from streamlit import config\n"
        "config.get_config_options(force_reparse=True)\n"
        "print(config.get_option('runner.postScriptGC'))\n"
    )
    assert _run_in_streamlits_process(script).stdout.strip() == "False"


def test_the_warm_up_leaves_what_it_loaded_out_of_full_garbage_collections(tmp_path):
    """Python's full collections walked every object the process had loaded: about 280 ms of the page run that
    triggered one (after a save, large dataset), 20 ms once the warm-up has frozen them (gc.freeze)."""
    script = (
        "import gc, os\n"
        f"os.environ['PARCOURS_DATABASE_URL'] = url = 'sqlite:///{tmp_path / 'parcours.db'}'\n"
        "from services.platform.db import make_engine, upgrade_to_head\n"
        "upgrade_to_head(make_engine(url))\n"
        "from ui.platform import warmup\n"
        "warmup._register_components = lambda modules: 0  # no Streamlit runtime in this process\n"
        "warmup.prepare_process()\n"
        "print(gc.get_freeze_count())\n"
    )
    assert int(_run_in_streamlits_process(script).stdout.split()[-1]) > 100_000


def test_no_file_watcher_walks_the_modules_after_each_script_run():
    """Streamlit's file watcher walked every imported module after each run, on the loop serving every session: 40
    users on one SQLite process had a p95 of 0.75–7.6 s with it, 368 ms without (bench/load.py, large dataset)."""
    script = (
        "from streamlit import config\n"
        "config.get_config_options(force_reparse=True)\n"
        "print(config.get_option('server.fileWatcherType'))\n"
    )
    assert _run_in_streamlits_process(script).stdout.strip() == "none"
