"""Keyboard help the browser needs beyond Streamlit's button shortcuts: Esc leaves a text box, digits grade while a
checkbox has the focus, and the focus moves to the first key point (or rating button) once the answer is shown."""
from __future__ import annotations

import json

import streamlit as st

# Installed once per page load. Streamlit's shortcuts ignore keys typed into a form control, a checkbox included, so
# after ticking a key point with Space the digit keys would do nothing: the listener clicks the rating button itself
# (a second click of a grade already saved is a stale click, which saves nothing).
_KEYS_SCRIPT = """<script>
(() => {
  if (window.__moeLabKeys) return;
  window.__moeLabKeys = true;
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (!target || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && (target.tagName === "TEXTAREA" || target.tagName === "INPUT")) {
      target.blur();
      return;
    }
    if (target.tagName === "INPUT" && target.type === "checkbox" && /^[1-4]$/.test(event.key)) {
      const button = document.querySelector(`.st-key-PREFIX${event.key} button`);
      if (button) { event.preventDefault(); button.click(); }
    }
  }, true);
})();
</script>"""

# Runs once per `nonce` (each "Show answer"), not on the reruns that ticking a key point causes.
_FOCUS_SCRIPT = """<script>
(() => {
  if (window.__moeLabFocus === NONCE) return;
  window.__moeLabFocus = NONCE;
  const attempt = (left) => {
    const target = document.querySelector(SELECTOR);
    if (target) { target.focus(); } else if (left > 0) { setTimeout(() => attempt(left - 1), 50); }
  };
  attempt(60);
})();
</script>"""


def install_grade_keys(button_key_prefix: str) -> None:
    """Esc blurs text boxes; 1-4 pressed on a focused checkbox click the buttons keyed `<prefix>1` .. `<prefix>4`."""
    st.html(_KEYS_SCRIPT.replace("PREFIX", button_key_prefix), unsafe_allow_javascript=True)


def focus_first(widget_keys: list[str], nonce: str) -> None:
    """Move the focus to the first of the widgets keyed `widget_keys` that is on the page, once per `nonce`."""
    selector = ", ".join(f".st-key-{key} input, .st-key-{key} button" for key in widget_keys)
    script = _FOCUS_SCRIPT.replace("NONCE", json.dumps(nonce)).replace("SELECTOR", json.dumps(selector))
    st.html(script, unsafe_allow_javascript=True)
