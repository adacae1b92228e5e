"""Slack's limits (Block Kit reference), declared as data for the core and the content check."""

from bot.core.capabilities import Capabilities

CAPABILITIES = Capabilities(
    platform="slack",
    buttons=True,
    button_label_max=75,  # a button's plain_text and a select option's text: 75 characters
    callback_data_max_bytes=2000,  # a button's value: 2,000 characters
    text_max=3000,  # a section block's text
    why_label_max="Block Kit allows at most 75 characters in a button or option text",
)
