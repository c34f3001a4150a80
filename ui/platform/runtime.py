"""Process-wide settings and engine (configuration only: never personal data)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy.engine import Engine

from services.platform.config import Settings, get_settings
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine
from services.platform.startup import prepare


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine


# French only, on purpose: the spinner shows on the first run of the process, before any session
# could have chosen another language (app.py calls runtime() before the language switch).
@st.cache_resource(show_spinner="Démarrage de Parcours…")
def runtime() -> Runtime:
    settings = get_settings()
    # Never creates a SQLite file: only the first run of `ops.bootstrap` does (a missing file is an error).
    engine = make_engine(settings.database_url, encryption_keys=settings.encryption_keys(), create=False)
    prepare(settings, engine)
    return Runtime(settings, engine)


@st.cache_resource
def field_cipher() -> FieldCipher:
    return FieldCipher(runtime().settings.encryption_keys())
