"""Fixtures for core tests: the shipped instrument and chats over the in-memory store."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.core.instrument import Instrument
from bot.shell.content import load_instrument
from storage.memory_store import MemoryStore
from tests.support.conversation import Chat


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    return load_instrument()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def new_chat(store: MemoryStore, instrument: Instrument) -> Iterator[Callable[..., Chat]]:
    chats: list[Chat] = []

    def make(**options: object) -> Chat:
        chat = Chat(store, instrument, **options)  # type: ignore[arg-type]
        chats.append(chat)
        return chat

    yield make
    for chat in chats:
        chat.close()


@pytest.fixture
def chat(new_chat: Callable[..., Chat]) -> Chat:
    return new_chat()
