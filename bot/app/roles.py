"""Who is a coordinator: named in the settings, or granted the role by one (`kartoitus role grant`).

Read by the round commands (`/kierros`), the digest commands (`/yhteenveto`), the team discussions
(`/keskustelu`), naming leads (`/vetaja`) and the help (`/ohje`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from bot.core.identity import UserRef

LEAD = "lead"  # a team's lead (granted per team): may ask for the team's digest and lead its discussions


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

    def is_lead(self, user: UserRef) -> bool:
        """Leads at least one team (a grant for some team)."""
        return self.granted is not None and self.granted.has_role(f"{user.platform}:{user.user}", LEAD)

    def commands(self, user: UserRef) -> frozenset[str]:
        """The role holders' commands `user` may use: /ohje lists these to them (and to no one else)."""
        if self.is_coordinator(user):
            return frozenset({"round", "digest", "discuss", "lead"})
        return frozenset({"digest", "discuss"}) if self.is_lead(user) else frozenset()
