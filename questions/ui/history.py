"""The history table under the Quiz and the Mock interview pages: past sessions, newest first, or "none yet"."""
from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd
import streamlit as st

from questions.ui.i18n import t
from questions.ui.labels import format_taken_at


def draw_history(area: str, lang: str, rows: Sequence[dict], columns: Callable[[dict], dict]) -> None:
    """The `{area}.history` subheader, then one table row per entry: when it was taken, then `columns(row)`."""
    st.subheader(t(f"{area}.history", lang))
    if not rows:
        st.caption(t(f"{area}.history_empty", lang))
        return
    table = [{t(f"{area}.col_when", lang): format_taken_at(row["taken_at"]), **columns(row)} for row in rows]
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
