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
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.urls import get_urlconf
from django.utils.translation import get_language

VERSION_KEY = "matters:catalogue:version"
# Fragments live this long at most. Invalidation is the version's job; the expiry bounds what a
# process-local cache (no REDIS_URL) may serve after another process changed the catalogue.
FRAGMENT_SECONDS = 10 * 60
_KEY_PREFIX = "matters:catalogue:"
# Longer query strings are served uncached rather than given an entry each.
MAX_QUERY_CHARS = 1000


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
    cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)


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

    One round trip reads the version and all the fragments; an exception of ``build`` (an
    Http404, say) propagates and nothing is stored for it.
    """
    keys = {name: key for name, (key, _build) in wanted.items()}
    found = cache.get_many([VERSION_KEY, *keys.values()])
    version = found.get(VERSION_KEY) or _new_version()
    result: dict[str, Any] = {}
    missing: dict[str, Any] = {}
    for name, key in keys.items():
        entry = found.get(key)
        if entry is not None and entry[0] == version:
            result[name] = entry[1]
        else:
            result[name] = wanted[name][1]()
            missing[key] = (version, result[name])
    if missing:
        cache.set_many(missing, FRAGMENT_SECONDS)
    return result


def fragment(key: str, build: Callable[[], Any]) -> Any:
    """One fragment: see ``fragments``."""
    return fragments({"only": (key, build)})["only"]
