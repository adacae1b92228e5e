"""Who and where: neutral references to people and channels on any platform."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person on one platform: Slack workspace + user id, Telegram user id, terminal user."""

    platform: str
    workspace: str
    user: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.user}"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A team's place: a Slack channel or a Telegram group."""

    platform: str
    workspace: str
    channel: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.channel}"


Recipient = UserRef | ChannelRef
