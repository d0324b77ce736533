"""The kv role's store: items really kept in memory, within configured limits."""

from __future__ import annotations

from collections.abc import Callable

# Keys end up in URLs; keep them plain. "." and ".." cannot be: clients remove them from
# a URL's path as dot segments (RFC 3986, 5.2.4).
KEY_PATTERN = r"^[A-Za-z0-9._-]{1,200}$"
UNADDRESSABLE_KEYS = (".", "..")


class StoreFull(Exception):
    """A new key would exceed max_items (existing keys can still be overwritten)."""


class KvStore:
    def __init__(self, max_items: int, on_change: Callable[[int, int], None] = lambda items, size: None):
        self.max_items = max_items
        self._items: dict[str, bytes] = {}
        self._bytes = 0
        self._on_change = on_change  # (items, bytes): keeps the gauges true
        on_change(0, 0)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    def get(self, key: str) -> bytes | None:
        return self._items.get(key)

    def put(self, key: str, value: bytes) -> bool:
        """Store ``value``; True when the key is new. Raises StoreFull, storing nothing."""
        old = self._items.get(key)
        if old is None and len(self._items) >= self.max_items:
            raise StoreFull(f"the store holds its limit of {self.max_items} items")
        self._items[key] = value
        self._bytes += len(value) - (len(old) if old is not None else 0)
        self._on_change(len(self._items), self._bytes)
        return old is None

    def delete(self, key: str) -> bool:
        old = self._items.pop(key, None)
        if old is None:
            return False
        self._bytes -= len(old)
        self._on_change(len(self._items), self._bytes)
        return True

    def preload(self, count: int, value_bytes: int) -> None:
        """``item-00000``... so reads return data of a chosen size before anyone writes."""
        value = (b"kv-value " * (value_bytes // 9 + 1))[:value_bytes]
        for index in range(min(count, self.max_items)):
            self.put(f"item-{index:05d}", value)
