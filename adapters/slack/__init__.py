"""Slack: translate-in/translate-out around slack-bolt."""
