"""The process warms up before it serves: the first visitor gets the login page as fast as the next ones.

Without it the first run of app.py in a new process imports the app (Streamlit's components, pandas,
Altair, SQLAlchemy and the models, every service, the text catalogues), opens the engine and checks
the migrations: about ten seconds on a loaded machine, on that visitor's request. server.py hands
`warm_up` to `st.App` as its lifespan: Starlette runs it after Streamlit's runtime has started and
before the server accepts a connection, so `/_stcore/health` answers (and nginx or a systemd restart
sends visitors) only once the process is ready.

One catch: a module that declares a custom component at import (the cookie manager of
streamlit-authenticator) registers it only when imported during a script run; imported here, its
component is registered by `_register_components`, as Streamlit would have done.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import pkgutil
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

LOGGER = logging.getLogger("parcours.warmup")
# Where the app's code lives (app_pages/ are scripts with widgets at their top level: never imported).
PACKAGES = ("models", "services", "i18n", "ui")
# Heavy libraries the pages use, whatever the first page drawn.
LIBRARIES = ("pandas", "altair", "sqlalchemy", "sqlmodel", "streamlit_authenticator", "babel")


def import_the_app() -> int:
    """Import the heavy libraries and every module of the app, as a server process does before it serves (bench
    does too, so that a page's first run is timed as the first visitor gets it). Returns the app's module count."""
    count = 0
    for name in LIBRARIES:
        importlib.import_module(name)
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if module.name != __name__:
                importlib.import_module(module.name)
                count += 1
    return count


def freeze_what_is_loaded() -> None:
    """Leave every object alive now (the modules, their classes, the catalogues) out of the garbage collector's
    full collections, which otherwise walk them all: about 280 ms taken from the page run that triggers one, 20 ms
    once they are frozen (a page after a save, large dataset, measured in the bench's process). Python's
    `gc.freeze`, meant for a server that has loaded what it keeps; reference counting still frees them."""
    gc.collect()
    gc.freeze()


def _register_components(modules: list[ModuleType]) -> int:
    """Register the custom components declared by `modules` with the running Streamlit (declare_component
    registers only inside a script run)."""
    from streamlit import runtime as st_runtime
    from streamlit.components.v1.custom_component import CustomComponent

    registry = st_runtime.get_instance().component_registry
    found = 0
    for module in modules:
        for value in list(vars(module).values()):
            if isinstance(value, CustomComponent):
                registry.register_component(value)
                found += 1
    return found


# Streamlit logs « Thread '…': missing ScriptRunContext! This warning can be ignored when running in bare mode. »
# each time a cached resource is read outside a script run, as the warm-up does on purpose: after `make run`'s
# URL, a newcomer read five of them as errors (issue 20). Dropped for the warm-up's thread only.
SCRIPT_RUN_CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"


class _NotFromThread(logging.Filter):
    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread_id


def prepare_process() -> None:
    """Import the app, load the text catalogues, open the engine and check the database (ui.platform.runtime,
    cached for the process). A configuration error is left for the page to show."""
    quiet = _NotFromThread(threading.get_ident())
    logging.getLogger(SCRIPT_RUN_CONTEXT_LOGGER).addFilter(quiet)
    try:
        _prepare_process()
    finally:
        logging.getLogger(SCRIPT_RUN_CONTEXT_LOGGER).removeFilter(quiet)


def _prepare_process() -> None:
    from i18n import ENGLISH, catalogue
    from services.platform.config import ConfigurationError
    from ui.platform.runtime import runtime

    started = time.perf_counter()
    before = set(sys.modules)
    count = import_the_app()
    components = _register_components([sys.modules[name] for name in set(sys.modules) - before])
    catalogue(ENGLISH)
    try:
        with runtime().engine.connect():  # a pooled connection, open for the first visitor
            pass
    except ConfigurationError:
        LOGGER.warning("configuration refused: the login page will say why")
    freeze_what_is_loaded()
    LOGGER.info("warmed up in %.1f s (%d modules, %d components)", time.perf_counter() - started, count, components)


@asynccontextmanager
async def warm_up(_app: object) -> AsyncIterator[None]:
    """st.App lifespan: prepare the process in a worker thread, then serve."""
    await asyncio.to_thread(prepare_process)
    yield
