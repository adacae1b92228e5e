"""Telegram: translate-in/translate-out around python-telegram-bot."""
