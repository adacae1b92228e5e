"""What a terminal can show: text only, so choices become numbered lists."""

from bot.core.capabilities import Capabilities

CAPABILITIES = Capabilities(
    platform="terminal", buttons=False, button_label_max=None, callback_data_max_bytes=None, text_max=1_000_000
)
