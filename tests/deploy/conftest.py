"""The deploy check drives chromium with the browser journeys' fixtures."""

from tests.browser.conftest import browser, chromium_path  # noqa: F401 - fixtures
