"""The web server `make run` starts (`streamlit run server.py`): Streamlit serving app.py, with the guard
that lets a generated download out only to the signed-in user who asked for it
(ui/platform/download_guard.py), warmed up before it serves (ui/platform/warmup.py)."""

import streamlit as st
from starlette.middleware import Middleware

from ui.platform.download_guard import DownloadGuard
from ui.platform.warmup import warm_up

app = st.App("app.py", middleware=[Middleware(DownloadGuard)], lifespan=warm_up)
