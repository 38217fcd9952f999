"""The key points as a checklist pre-ticked from the typed answer, and that answer with each point's words marked."""
from __future__ import annotations

import html
from typing import Optional

import streamlit as st

from questions.study.matching import PointMatch, highlight_segments, match_question
from questions.ui.i18n import t

# One colour per key point: Streamlit's Markdown colour names (for the checkbox label) and the same hue as CSS (for
# the marked answer, drawn as HTML so the user's text is never read as Markdown or LaTeX).
POINT_COLOURS = (
    ("blue", "28, 131, 225"), ("green", "33, 195, 84"), ("orange", "255, 164, 33"),
    ("violet", "128, 61, 245"), ("red", "255, 43, 43"), ("gray", "128, 132, 149"),
)


def point_colour(number: int) -> tuple[str, str]:
    return POINT_COLOURS[number % len(POINT_COLOURS)]


def marked_answer_html(answer: str, matches: list[PointMatch], lang: str) -> str:
    """The answer as HTML (escaped, line breaks kept), each matched piece in its key point's colour and numbered."""
    pieces = []
    for text, points in highlight_segments(answer, matches):
        escaped = html.escape(text)
        if not points:
            pieces.append(escaped)
            continue
        rgb = point_colour(points[0])[1]
        numbers = ",".join(str(point + 1) for point in points)
        title = html.escape(t("checklist.point_title", lang, numbers=numbers))
        pieces.append(f'<mark title="{title}" style="background: rgba({rgb}, 0.22); color: inherit; '
                      f'border-bottom: 2px solid rgb({rgb}); border-radius: 3px; padding: 0 1px;">{escaped}'
                      f'<sup style="font-size: 0.65em; opacity: 0.8;">{numbers}</sup></mark>')
    return ('<div class="marked-answer" style="white-space: pre-wrap; line-height: 1.7; padding: 0.5rem 0.75rem; '
            'border-left: 3px solid rgba(128, 132, 149, 0.4); margin-bottom: 0.5rem;">' + "".join(pieces) + "</div>")


def draw_marked_answer(answer: str, matches: list[PointMatch], lang: str) -> None:
    """The typed answer with the words that matched each key point highlighted in that point's colour."""
    st.html(marked_answer_html(answer, matches, lang))


def draw_checklist(question, typed_answer: str, lang: str, key_prefix: str, *,
                   matches: Optional[list[PointMatch]] = None, show_answer: bool = True,
                   disabled: bool = False) -> tuple[int, int]:
    """The key points as checkboxes ({key_prefix}_{n}), pre-ticked where the answer covers them; returns (ticked,
    total). With show_answer, the typed answer is drawn above them with the matched words highlighted."""
    points = question.key_point_texts(lang)
    if not points:
        return 0, 0
    typed_answer = typed_answer or ""
    if matches is None:
        matches = match_question(question, typed_answer, lang)
    covered = sum(match.covered for match in matches)
    if typed_answer.strip():
        st.markdown(f"**{t('checklist.title', lang)}**")
        if show_answer:
            st.caption(t("checklist.your_answer", lang))
            draw_marked_answer(typed_answer, matches, lang)
        st.caption(t("checklist.matched", lang, matched=covered, total=len(points)))
    else:
        st.markdown(f"**{t('checklist.title_no_answer', lang)}**")
    ticked = 0
    for number, (point, match) in enumerate(zip(points, matches)):
        colour = point_colour(number)[0]
        label = f":{colour}-background[**{number + 1}**] {point}"
        ticked += bool(st.checkbox(label, value=match.covered, key=f"{key_prefix}_{number}", disabled=disabled))
    return ticked, len(points)
