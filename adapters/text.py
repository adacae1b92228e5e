"""Splitting long texts for platforms that limit a message's (or a block's) length."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or max(window.rfind(" "), 0) or limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    chunks.append(rest)
    return [chunk for chunk in chunks if chunk] or [""]
