"""Keyboard only: move the focus with Tab / Shift+Tab and act with Space, Enter and the arrow keys, as a
person who does not use a mouse does (issue 19). Reading where the focus is (the DOM) is no click."""

from __future__ import annotations

from collections.abc import Callable

# What the focused element is: tag, role, type, its accessible label, its text, its radio group's label.
_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e) return null;
  const group = e.closest('[role=radiogroup]');
  const labelled = e.getAttribute('aria-labelledby');
  const byId = labelled ? document.getElementById(labelled) : null;
  return {
    tag: e.tagName.toLowerCase(),
    role: e.getAttribute('role') || '',
    type: e.getAttribute('type') || '',
    label: e.getAttribute('aria-label') || (byId ? byId.innerText : '') || '',
    text: (e.innerText || '').trim().slice(0, 80),
    group: group ? group.getAttribute('aria-label') || '' : '',
    checked: e.checked === true,
    value: typeof e.value === 'string' ? e.value : '',
  };
}"""


def focused(page) -> dict:
    return page.evaluate(_FOCUSED) or {}


def tab_to(page, wanted: Callable[[dict], bool], what: str, *, limit: int = 120, back: bool = False) -> dict:
    """Press Tab (Shift+Tab with `back`) until the focused element is `wanted`; fail naming `what` and the
    path the focus took after `limit` presses."""
    trail = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        trail.append(f"{now.get('tag')}[{now.get('role') or now.get('type')}] {now.get('label') or now.get('text')}")
        if wanted(now):
            return now
    raise AssertionError(f"{what}: not reached in {limit} presses; the focus went " + " → ".join(trail[-40:]))


def labelled(text: str) -> Callable[[dict], bool]:
    return lambda now: now.get("label") == text


def named(text: str) -> Callable[[dict], bool]:
    """A button or link whose text is `text` (after its icon, a ligature such as « translate » on its own line)."""

    def wanted(now: dict) -> bool:
        lines = [line.strip() for line in now.get("text", "").splitlines() if line.strip()]
        return now.get("tag") in {"a", "button"} and bool(lines) and lines[-1] == text

    return wanted
