"""The registry of platforms: the one list that names them (see adapters/platform.py for the contract).

The program's settings are composed from each platform's settings model (bot.shell.settings), the
content check reads their capabilities, and the wiring starts the connected ones that are configured.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.platform import Connected, Platform
from adapters.slack.platform import PLATFORM as SLACK
from adapters.telegram.platform import PLATFORM as TELEGRAM
from adapters.terminal.platform import PLATFORM as TERMINAL

PLATFORMS: Sequence[Platform] = (TERMINAL, TELEGRAM, SLACK)


def connected(platforms: Sequence[Platform]) -> list[Connected]:
    """The platforms that talk to a service (all but the terminal), in registry order."""
    return [platform for platform in platforms if isinstance(platform, Connected)]
