"""Cached fragments of the public catalogue pages (ADR 0007).

The catalogue changes when staff edit it, and is read on every page view. So the parts of the
guide, catalogue and search pages that depend only on the catalogue (never on the visitor) are
rendered once and kept in the default cache, under keys that carry:

* the **catalogue version**: one cache entry holding a random token, replaced by
  ``bump_catalogue_version()`` whenever anything a page shows changes (``matters.signals``
  calls it for matters, materials, steps, relations, departments, themes, tags, regions,
  synonyms and form specifications; bulk loaders that bypass signals call it themselves).
  A fragment stored under an older version is never served again and simply expires;
* the language and the URLconf, since fragments hold translated text and reversed URLs.

Each entry is stored as ``(version, payload)`` under a key without the version, so one
``get_many`` reads the version and every fragment of a page in one round trip, and a newer
fragment overwrites the stale one instead of piling up beside it.

The version is replaced now *and* again after the surrounding transaction commits: a request
that read the catalogue before the commit may have stored its fragment under the first new
token, and must not be served after the commit.

Nothing user-specific is ever cached here: CSRF tokens, the visitor's name, messages and
login links are rendered per request by the page around the fragments.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.urls import get_urlconf
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

VERSION_KEY = "matters:catalogue:version"
# Fragments live this long at most. Invalidation is the version's job; the expiry bounds what a
# process-local cache (no REDIS_URL) may serve after another process changed the catalogue.
FRAGMENT_SECONDS = 10 * 60
_KEY_PREFIX = "matters:catalogue:"
# Longer query strings are served uncached rather than given an entry each.
MAX_QUERY_CHARS = 1000


# --- this process's copy ---------------------------------------------------------------------
# A round trip to the cache server costs as much as a small page. Each process therefore keeps
# the fragments it served last, and trusts the version it read for LOCAL_SECONDS: a hot page
# costs no round trip, and an edit made in another process shows there after at most that long
# (at once in the process that made it).
LOCAL_SECONDS = 1.0
LOCAL_ENTRIES = 500


class _LocalCopy:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: str | None = None
        self.read_at = 0.0
        self.entries: OrderedDict[str, tuple[str, Any]] = OrderedDict()

    def fresh_version(self) -> str | None:
        seconds = _local_seconds()
        if self.version is not None and time.monotonic() - self.read_at < seconds:
            return self.version
        return None

    def remember_version(self, version: str) -> None:
        with self.lock:
            self.version, self.read_at = version, time.monotonic()

    def get(self, key: str, version: str) -> Any:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] != version:
                return _MISSING
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, version: str, payload: Any) -> None:
        if not _local_seconds():
            return
        with self.lock:
            self.entries[key] = (version, payload)
            self.entries.move_to_end(key)
            while len(self.entries) > LOCAL_ENTRIES:
                self.entries.popitem(last=False)

    def forget(self) -> None:
        with self.lock:
            self.version = None
            self.entries.clear()


_MISSING = object()
_local = _LocalCopy()


def _local_seconds() -> float:
    # Tests clear the shared cache between tests, which no process's copy would notice.
    return 0.0 if hasattr(mail, "outbox") else LOCAL_SECONDS


def forget_local_copy() -> None:
    """Drop this process's copy (tests that clear the cache and use the copy call it)."""
    _local.forget()


# --- the version -------------------------------------------------------------------------------


def catalogue_version() -> str:
    """The current catalogue version (created when missing, e.g. after an eviction)."""
    version = cache.get(VERSION_KEY)
    return version if version is not None else _new_version()


def _new_version() -> str:
    # A random token, never a counter: a counter restarting after an eviction or a flush
    # would make fragments of an old catalogue valid again.
    token = secrets.token_hex(8)
    if cache.add(VERSION_KEY, token, timeout=None):
        return token
    return cache.get(VERSION_KEY) or token


def _replace_version() -> None:
    token = secrets.token_hex(8)
    _local.remember_version(token)
    try:
        cache.set(VERSION_KEY, token, timeout=None)
    except Exception:
        # A dead cache server must not fail the edit; what it still holds expires within
        # FRAGMENT_SECONDS (a restarted one holds nothing).
        logger.error("catalogue cache unavailable: version not replaced", exc_info=True)


def bump_catalogue_version(using: str | None = None) -> None:
    """Invalidate every cached catalogue fragment: now, and again once the transaction commits."""
    _replace_version()
    connection = connections[using or DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return
    # One callback per transaction, however many rows a loader saves.
    if any(entry[1] is _replace_version for entry in connection.run_on_commit):
        return
    transaction.on_commit(_replace_version, using=using or DEFAULT_DB_ALIAS)


def fragment_key(kind: str, *parts: Any) -> str:
    """The cache key of a fragment: its kind and whatever it varies on, with the language and
    the URLconf it is rendered with (hashed, so any query string makes a valid key)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    urlconf = getattr(urlconf, "__name__", urlconf)
    raw = repr((get_language(), urlconf, parts))
    return f"{_KEY_PREFIX}{kind}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


def query_params(querydict, *, exclude: tuple[str, ...] = ()) -> tuple | None:
    """A query string's parameters in a canonical order, for a fragment key; ``None`` when the
    query string is too long to be worth an entry. Every parameter counts (not only the known
    ones), since a fragment's links carry the query string on."""
    items = tuple(
        sorted((name, value) for name, values in querydict.lists() if name not in exclude for value in values)
    )
    if sum(len(name) + len(value) for name, value in items) > MAX_QUERY_CHARS:
        return None
    return items


def fragments(wanted: dict[str, tuple[str, Callable[[], Any]]]) -> dict[str, Any]:
    """The payload of each wanted fragment, ``name → (key, build)``: from the cache when it was
    stored under the current catalogue version, otherwise built now (``build()``) and stored.

    Served from this process's copy when it holds them all under a version read less than
    LOCAL_SECONDS ago; otherwise one round trip reads the version and the other fragments. An
    exception of ``build`` (an Http404, say) propagates and nothing is stored for it.
    """
    keys = {name: key for name, (key, _build) in wanted.items()}
    result: dict[str, Any] = {}
    version = _local.fresh_version()
    if version is not None:
        for name, key in keys.items():
            payload = _local.get(key, version)
            if payload is not _MISSING:
                result[name] = payload
        if len(result) == len(keys):
            return result
    remaining = {name: key for name, key in keys.items() if name not in result}
    try:
        found = cache.get_many([VERSION_KEY, *remaining.values()])
        version = found.get(VERSION_KEY) or _new_version()
    except Exception:  # the cache server is down: serve the pages uncached meanwhile
        logger.warning("catalogue cache unavailable", exc_info=True)
        return {**result, **{name: wanted[name][1]() for name in remaining}}
    _local.remember_version(version)
    missing: dict[str, Any] = {}
    for name, key in remaining.items():
        entry = found.get(key)
        if entry is not None and entry[0] == version:
            result[name] = entry[1]
        else:
            result[name] = wanted[name][1]()
            missing[key] = (version, result[name])
        _local.put(key, version, result[name])
    if missing:
        try:
            cache.set_many(missing, FRAGMENT_SECONDS)
        except Exception:
            logger.warning("catalogue cache unavailable", exc_info=True)
    return result


def fragment(key: str, build: Callable[[], Any]) -> Any:
    """One fragment: see ``fragments``."""
    return fragments({"only": (key, build)})["only"]


def snapshot(kind: str, *parts: Any, build: Callable[[], Any]) -> Any:
    """A catalogue read kept like a fragment (model instances included), for the hot paths that
    read the same rows on every request (the applications API's matter, form and materials).

    Stored pickled and unpickled on every call, so each caller gets its own copy and may change
    it (attach related objects, say) without touching another request's.
    """
    raw = repr(parts)
    key = f"{_KEY_PREFIX}rows:{kind}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"
    return pickle.loads(fragment(key, lambda: pickle.dumps(build(), pickle.HIGHEST_PROTOCOL)))  # noqa: S301 - our own cache
