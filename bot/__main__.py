"""`python -m bot` is the `kartoitus` command."""

from bot.cli import main

main()
