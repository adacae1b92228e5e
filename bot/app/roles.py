"""Who is a coordinator: named in the settings, or granted the role by one (`kartoitus role grant`).

Read by the round commands (`/kierros`) and the digest commands (`/yhteenveto`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from bot.core.identity import UserRef


class GrantedRoles(Protocol):
    def has_role(self, platform_user: str, role: str) -> bool: ...


class Roles:
    """Coordinators are named in the settings as platform:user_id, or granted by a coordinator."""

    def __init__(self, coordinators: Collection[str], granted: GrantedRoles | None = None) -> None:
        self.coordinators = frozenset(coordinators)
        self.granted = granted

    def is_coordinator(self, user: UserRef) -> bool:
        name = f"{user.platform}:{user.user}"
        return name in self.coordinators or (self.granted is not None and self.granted.has_role(name, "coordinator"))
