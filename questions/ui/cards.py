"""Pieces of a question that several pages draw: the link that opens its card in Practice, and its follow-ups."""
from __future__ import annotations

import streamlit as st

from questions.ui.i18n import t
from questions.ui.routes import PRACTICE, QUESTION_PARAM


def card_link(question_id: str, lang: str) -> None:
    """A link opening the question's card in Practice (first in its queue)."""
    st.page_link(PRACTICE.path, label=t("app.open_card", lang), query_params={QUESTION_PARAM: question_id},
                 icon=":material/style:")


def draw_follow_ups(question, lang: str) -> None:
    """The questions an interviewer asks next, collapsed; each one's answer shows when it is opened."""
    if not question.follow_ups:
        return
    st.markdown(f"**{t('app.follow_ups', lang)}**")
    for follow_up in question.follow_ups:
        with st.expander(follow_up.question.get(lang), icon=":material/forum:"):
            st.markdown(follow_up.answer.get(lang))
