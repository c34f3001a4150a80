"""Text typed by users or read from the database, made inert before it reaches Markdown.

Streamlit renders Markdown in st.markdown, st.caption, st.write, titles and headers, alerts, metrics,
tabs, expanders and the labels of every widget: a partner, a module or a person named
`![x](https://elsewhere.example/pixel.png)` would make every reader's browser call an outside
server, and `[texte](https://…)` would show a link the association never wrote. `md()` escapes what
makes links, images, HTML and formulas; tests/architecture/test_layering.py refuses any other value
formatted into those calls (code's own texts, translations and formatted numbers and dates pass).
"""

from __future__ import annotations

import re
from typing import overload

# Links and images ([ ] and < > for autolinks), formulas ($), and the escape character itself.
_ACTIVE = re.compile(r"([\\\[\]<>$])")


@overload
def md(value: None) -> None: ...
@overload
def md(value: object) -> str: ...
def md(value: object) -> str | None:
    """`value` as text that Markdown shows as it is (a backslash before each active character); None stays
    None (an absent tooltip stays absent)."""
    return None if value is None else _ACTIVE.sub(r"\\\1", str(value))
