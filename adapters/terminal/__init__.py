"""The terminal chat: the embedded default when no platform is configured."""
