"""Telegram's limits (Bot API documentation), declared as data for the core and the content check."""

from bot.core.capabilities import Capabilities

CAPABILITIES = Capabilities(
    platform="telegram",
    buttons=True,
    button_label_max=40,
    callback_data_max_bytes=64,  # callback_data is 1-64 bytes; "ä" counts two
    text_max=4096,
    why_label_max="the Bot API sets no maximum, but phones cut inline-button labels at about 40 characters",
)
