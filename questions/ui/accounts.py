"""Who is practising: local profile names and the login settings, as plain rules the sidebar draws."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Optional

from questions.ui.i18n import t

DEFAULT_PROFILE = "default"
PROFILE_NAME_LIMIT = 60


def profile_name_problem(name: str, lang: str) -> Optional[str]:
    """Why `name` (already stripped) cannot be a new profile, in `lang`; None when it can."""
    if not name:
        return t("app.profile_name_empty", lang)
    if len(name) > PROFILE_NAME_LIMIT:
        return t("app.profile_name_too_long", lang, limit=PROFILE_NAME_LIMIT)
    return None


def profile_options(*name_groups: Iterable[str]) -> list[str]:
    """Every profile name once, the default profile first, then the others alphabetically (case-insensitive)."""
    names = {DEFAULT_PROFILE}
    for group in name_groups:
        names.update(group)
    return sorted(names, key=lambda name: (name != DEFAULT_PROFILE, name.casefold()))


def login_providers(auth: Mapping) -> list[str]:
    """Named providers ([auth.google], [auth.microsoft]); empty when [auth] itself holds one provider's settings."""
    return [name for name, value in auth.items() if isinstance(value, Mapping)]


def user_identity(user: Mapping[str, Any]) -> Optional[str]:
    """The profile of a logged-in user: the email, else the subject id; None when the provider sent neither."""
    identity = user.get("email") or user.get("sub")
    return str(identity) if identity else None
