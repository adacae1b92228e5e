"""`python -m bot` is the `kartoitus` command."""

from bot.shell.cli import main

main()
