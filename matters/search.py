"""Chinese full-text search over the catalogue (事项检索).

Interface used by the pages and the API:

* ``search(queryset, query)`` filters the queryset to the matching matters, best first;
* ``reindex(matter)`` and ``reindex_queryset(queryset)`` rebuild the stored index
  (``Matter.search_document`` everywhere, ``Matter.search_vector`` on PostgreSQL);
  ``matters.signals`` calls them whenever an indexed field changes.

How it works. PostgreSQL has no Chinese parser here, so the text is segmented in Python
with jieba (``HMM=False``, so the same text always gives the same words) and the words are
stored as a ``tsvector`` literal built here, not by ``to_tsvector``: the index and the query
are produced by the same code, with no parser or dictionary in between (the effect of the
'simple' configuration, without its parser splitting Chinese punctuation into words).
Weights: A name (its words, every dictionary word inside them, its character bigrams, the
codes), B pinyin of the name and the names of tags and themes, C summary, materials,
department and result, D guide text. A query is segmented the same way; a query word
matches the same word, the name bigrams (so any piece of a name finds it) or, for Latin
letters and digits, any indexed word it is a prefix of (pinyin ``sfz``, ``shenf``, codes).
Synonyms are expanded on the query side, so editing them needs no reindex.

Ranking: exact name, then names containing the query, then matters whose name (or its
pinyin) matches every query word, then ``ts_rank``, then popularity. SQLite (the embedded
mode) runs the same query tree as ``LIKE`` conditions over ``search_document`` and ranks
with the same tiers, popularity standing in for ``ts_rank``.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, reduce
from pathlib import Path

from django.contrib.postgres.search import SearchQueryField
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import StrIndex, Substr

from matters.models import MaterialRequirement, Matter, Tag, Theme

logger = logging.getLogger(__name__)

# Longer input is cut: nobody types more to find a matter, and it bounds the query's size.
MAX_QUERY_CHARS = 50
DICTIONARY = Path(__file__).with_name("search_dict.txt")
# Fields whose change needs a reindex (signals skip saves that touch none of them).
INDEXED_FIELDS = frozenset(
    {
        "name",
        "basic_code",
        "implementation_code",
        "summary",
        "result_name",
        "department",
        "acceptance_conditions",
        "legal_basis",
        "faq",
    }
)
# Query words that carry no meaning for the catalogue ("我要怎么办身份证").
_STOP_WORDS_TEXT = (
    "我 我要 我想 要 想 怎么 怎么办 怎样 如何 办 办理 的 了 吗 呢 啊 在 哪 哪里 去 需要 什么 请问 可以 能"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_SYNONYM_CACHE_KEY = "matters:search:synonyms:v1"
_SYNONYM_CACHE_SECONDS = 600
# Pinyin tokens cover at most this many characters: enough for anything typed.
_PINYIN_SPAN = 10
# A lexeme occurring more often adds nothing to the rank, only to the size of the row.
_MAX_POSITIONS = 8

_WORD_RE = re.compile(r"[^\W_]+")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_CJK_ONLY_RE = re.compile(f"^[{_CJK}]+$")
_ASCII_WORD_RE = re.compile(r"^[a-z0-9]+$")
_LETTERS_RE = re.compile(r"^[a-z]+$")


# --- segmentation -------------------------------------------------------------------------

_tokenizer = None
_tokenizer_lock = threading.Lock()


def _jieba():
    """The process's jieba tokenizer with the catalogue's words, loaded on first use.

    Loading takes about a second, so it never happens at import time (management commands
    that never search do not pay for it). A private Tokenizer keeps our dictionary out of
    the global one that other code may use.
    """
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                tokenizer.load_userdict(str(DICTIONARY))
                _tokenizer = tokenizer
    return _tokenizer


def warm_up() -> None:
    """Load jieba and pypinyin now (call from a server's start-up, not per request)."""
    _jieba()
    _pinyin_of("中山")


def normalize(text: str) -> str:
    """Full-width to half-width, lower case: the form both the index and queries use."""
    return unicodedata.normalize("NFKC", text or "").lower()


def is_cjk(word: str) -> bool:
    return bool(_CJK_ONLY_RE.match(word))


@lru_cache(maxsize=16384)
def words(text: str) -> tuple[str, ...]:
    """jieba words of normalized text, punctuation and spaces dropped."""
    out: list[str] = []
    for piece in _jieba().cut(text, HMM=False):
        out.extend(_WORD_RE.findall(piece))
    return tuple(out)


def _in_dictionary(word: str) -> bool:
    # FREQ also holds every prefix of every word with frequency 0.
    return bool(_jieba().FREQ.get(word))


@lru_cache(maxsize=16384)
def _expand(word: str) -> tuple[str, ...]:
    """The word and every dictionary word inside it (港澳通行证 → 港澳, 通行, 通行证…).

    Wider than jieba's cut_for_search (which only looks at 2- and 3-grams), so a query word
    of any length is found inside a longer indexed word.
    """
    n = len(word)
    if n < 3 or not is_cjk(word):
        return (word,)
    found = [word]
    for length in range(n - 1, 1, -1):
        for start in range(n - length + 1):
            sub = word[start : start + length]
            if _in_dictionary(sub):
                found.append(sub)
    return tuple(found)


@lru_cache(maxsize=16384)
def _index_words(text: str) -> tuple[str, ...]:
    """Every indexed word of a text (cached: legal bases and material names repeat a lot)."""
    out: list[str] = []
    for word in words(normalize(text)):
        out.extend(_expand(word))
    return tuple(out)


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=4096)
def _pinyin_of(run: str) -> tuple[tuple[str, str], ...]:
    """(full, initial) pinyin per character of a run of Chinese characters."""
    from pypinyin import Style, lazy_pinyin

    def unknown(chars):
        return ["" for _ in chars]

    full = lazy_pinyin(run, errors=unknown)
    initials = lazy_pinyin(run, style=Style.FIRST_LETTER, errors=unknown)
    if len(full) != len(run) or len(initials) != len(run):  # pragma: no cover - defensive
        full = [(lazy_pinyin(c, errors=unknown) or [""])[0] for c in run]
        initials = [(lazy_pinyin(c, style=Style.FIRST_LETTER, errors=unknown) or [""])[0] for c in run]
    return tuple(zip(full, initials, strict=True))


def _name_pinyin(name: str) -> list[str]:
    """Pinyin of the name from every word start on: 居民身份证换领 gives jumingshenfenzheng…,
    jmsfzhl, shenfenzheng…, sfzhl, huanling, hl… so with prefix matching a query of full
    pinyin or initials finds any run of words of the name.
    """
    tokens: list[str] = []
    for match in _CJK_RUN_RE.finditer(name):
        run = match.group()
        starts = {0}
        position = 0
        for word in words(run):
            starts.add(position)
            # Dictionary words inside a word start a run too (公积金 inside 住房公积金).
            if len(word) >= 3:
                for sub in _expand(word)[1:]:
                    starts.add(position + word.find(sub))
            position += len(word)
        pinyin = _pinyin_of(run)
        for start in sorted(starts):
            span = pinyin[start : start + _PINYIN_SPAN]
            full = "".join(p[0] for p in span)
            initials = "".join(p[1] for p in span)
            tokens.extend(t for t in (full, initials) if _LETTERS_RE.match(t))
    return tokens


# --- the document --------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """What gets stored for one matter."""

    text: str  # search_document
    vector: str  # search_vector, as a tsvector literal


def _sections(matter: Matter, materials: Iterable[str], tags: Iterable[str]) -> list[tuple[str, list[str]]]:
    name = normalize(matter.name)
    name_tokens: list[str] = list(_index_words(name))
    for run in _CJK_RUN_RE.findall(name):
        name_tokens.extend(_bigrams(run))
    for code in (matter.basic_code, matter.implementation_code):
        name_tokens.extend(_WORD_RE.findall(normalize(code)))
    tag_tokens = [w for text in tags for w in _index_words(text)]
    department = matter.department.name if matter.department_id else ""
    c_texts = [matter.summary, matter.result_name, department, *materials]
    d_texts = [matter.acceptance_conditions, matter.legal_basis, matter.faq]
    return [
        ("A", name_tokens),
        ("B", _name_pinyin(name)),
        ("B", tag_tokens),
        ("C", [w for text in c_texts if text for w in _index_words(text)]),
        ("D", [w for text in d_texts if text for w in _index_words(text)]),
    ]


def _dedupe(tokens: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


def build_document(matter: Matter, materials: Iterable[str], tags: Iterable[str]) -> Document:
    """The index of one matter from its fields, its material names and its tag/theme names.

    ``search_document`` holds the name part (name words and pinyin), a blank line, then the
    rest: each token surrounded by spaces, so ``LIKE '% word %'`` is an exact word match and
    ``LIKE '% sfz%'`` a prefix match.
    """
    sections = _sections(matter, materials, tags)
    head = [" " + " ".join(_dedupe(tokens)) + " " for _, tokens in sections[:2]]
    tail = [" " + " ".join(_dedupe(tokens)) + " " for _, tokens in sections[2:]]
    text = "\n".join(head) + "\n\n" + "\n".join(tail)

    positions: dict[str, list[str]] = {}
    position = 0
    for weight, tokens in sections:
        for token in tokens:
            position += 1
            slots = positions.setdefault(token, [])
            if len(slots) < _MAX_POSITIONS:
                slots.append(f"{min(position, 16383)}{weight}")
    # Tokens are word characters only, so quoting needs no escaping.
    vector = " ".join(f"'{token}':{','.join(slots)}" for token, slots in positions.items())
    return Document(text=text, vector=vector)


# --- writing the index ---------------------------------------------------------------------

_LOADED_FIELDS = (
    "id",
    "name",
    "basic_code",
    "implementation_code",
    "summary",
    "result_name",
    "acceptance_conditions",
    "legal_basis",
    "faq",
    "department__id",
    "department__name",
)


def _related_names(matter: Matter) -> tuple[list[str], list[str]]:
    """Material names and tag/theme names, from the prefetch cache when there is one."""
    materials = [m.name for m in matter.materials.all()]
    tags = [t.name for t in matter.tags.all()] + [t.name for t in matter.themes.all()]
    return materials, tags


def _write(using: str, rows: list[tuple[int, Document]]) -> None:
    if not rows:
        return
    connection = connections[using]
    table = connection.ops.quote_name(Matter._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s, %s, %s)"] * len(rows))
            params = [value for pk, doc in rows for value in (pk, doc.text, doc.vector)]
            cursor.execute(
                f"UPDATE {table} AS m SET search_document = v.doc, search_vector = v.vec::tsvector "  # noqa: S608
                f"FROM (VALUES {values}) AS v(id, doc, vec) WHERE m.id = v.id",
                params,
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET search_document = %s WHERE id = %s",  # noqa: S608
                [(doc.text, pk) for pk, doc in rows],
            )


def reindex(matter: Matter) -> None:
    """Recompute the search index of one matter (after its fields, materials or tags changed)."""
    if matter.pk is None:
        return
    fresh = _matters_for_indexing(Matter.objects.using(matter._state.db or "default")).filter(pk=matter.pk)
    for row in fresh:
        doc = build_document(row, *_related_names(row))
        _write(matter._state.db or "default", [(row.pk, doc)])
        matter.search_document = doc.text
        matter.search_vector = (
            doc.vector if connections[matter._state.db or "default"].vendor == "postgresql" else None
        )


def _matters_for_indexing(queryset: QuerySet[Matter]) -> QuerySet[Matter]:
    return (
        queryset.select_related("department")
        .only(*_LOADED_FIELDS)
        .prefetch_related(
            Prefetch("materials", queryset=MaterialRequirement.objects.only("id", "matter_id", "name")),
            Prefetch("tags", queryset=Tag.objects.only("id", "name")),
            Prefetch("themes", queryset=Theme.objects.only("id", "name")),
        )
        .order_by()
    )


_deferral = threading.local()


@contextmanager
def deferred_reindex(using: str = "default") -> Iterator[None]:
    """Collect the reindexing that signals ask for inside the block and do it once at its end.

    For loaders and imports that save many matters, materials and tags one by one.
    """
    if getattr(_deferral, "pending", None) is not None:  # nested: the outer block reindexes
        yield
        return
    _deferral.pending = set()
    try:
        yield
        pending = _deferral.pending
    finally:
        _deferral.pending = None
    if pending:
        reindex_queryset(Matter.objects.using(using).filter(pk__in=pending))


def request_reindex(matter_pks: Iterable[int | None], using: str = "default") -> None:
    """Reindex these matters now, or at the end of the enclosing ``deferred_reindex`` block."""
    pks = {pk for pk in matter_pks if pk is not None}
    if not pks:
        return
    pending = getattr(_deferral, "pending", None)
    if pending is not None:
        pending.update(pks)
    else:
        reindex_queryset(Matter.objects.using(using).filter(pk__in=pks))


def reindex_queryset(queryset: QuerySet[Matter], batch_size: int = 500) -> int:
    """Recompute the index of every matter of the queryset, ``batch_size`` at a time.

    One UPDATE per batch; used after bulk_create (which sends no signals) and by
    ``manage.py reindex_matters``. Returns the number of matters reindexed.
    """
    using = queryset.db
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    base = Matter.objects.using(using)
    for start in range(0, len(pks), batch_size):
        batch = _matters_for_indexing(base.filter(pk__in=pks[start : start + batch_size]))
        _write(using, [(m.pk, build_document(m, *_related_names(m))) for m in batch])
    return len(pks)


# --- synonyms ------------------------------------------------------------------------------


def synonyms() -> dict[str, list[str]]:
    """The admin-edited synonym table as term → expansions (cached; signals clear it)."""
    table = cache.get(_SYNONYM_CACHE_KEY)
    if table is None:
        from matters.models import Synonym

        table = {}
        for term, expansion in Synonym.objects.values_list("term", "expansion"):
            term = normalize(term).strip()
            expansions = [e for e in normalize(expansion).split() if e]
            if term and expansions:
                table[term] = expansions
        cache.set(_SYNONYM_CACHE_KEY, table, _SYNONYM_CACHE_SECONDS)
    return table


def clear_synonym_cache() -> None:
    cache.delete(_SYNONYM_CACHE_KEY)


# --- the query -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lexeme:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class All:
    parts: tuple


@dataclass(frozen=True)
class Any:
    parts: tuple


def _all(parts: Iterable) -> object | None:
    parts = tuple(dict.fromkeys(p for p in parts if p is not None))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else All(parts)


def _any(parts: Iterable) -> object | None:
    parts = tuple(dict.fromkeys(p for p in parts if p is not None))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Any(parts)


def _tiling(word: str) -> list[str] | None:
    """The fewest shorter dictionary words that make up ``word`` (住房公积金 → 住房 + 公积金)."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(2, n + 1):
        for start in range(0, end - 1):
            piece = word[start:end]
            if best[start] is not None and len(piece) < n and _in_dictionary(piece):
                candidate = [*best[start], piece]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[n]


def _word_node(word: str):
    if _ASCII_WORD_RE.match(word):
        return Lexeme(word, prefix=True)
    if is_cjk(word) and len(word) >= 3:
        tiling = _tiling(word)
        if tiling:
            return _any([Lexeme(word), _all(Lexeme(p) for p in tiling)])
    return Lexeme(word)


def _parse_text(text: str):
    """The query tree of one phrasing of the query: every part must match."""
    runs = [(run, words(run)) for run in _WORD_RE.findall(text)]
    # Stop words go, unless nothing else is left.
    drop = any(w not in STOP_WORDS for _, run_words in runs for w in run_words)
    groups = []
    letter_words = []
    for run, run_words in runs:
        meaningful = [w for w in run_words if not (drop and w in STOP_WORDS)]
        if not meaningful:
            continue
        node = _all(_word_node(w) for w in meaningful)
        if is_cjk(run) and len(run) >= 2:
            # Any piece of a name is found through the name's bigrams.
            node = _any([node, _all(Lexeme(b) for b in _bigrams(run))])
        groups.append(node)
        letter_words.extend(w for w in meaningful if _LETTERS_RE.match(w))
    tree = _all(groups)
    if len(letter_words) > 1 and len(letter_words) == len(groups):
        # "shen fen zheng" is pinyin typed with spaces.
        tree = _any([tree, Lexeme("".join(letter_words), prefix=True)])
    return tree


def parse(query: str):
    """The query tree: the query as typed, or with a synonym replaced by its expansion."""
    text = normalize(query)[:MAX_QUERY_CHARS]
    phrasings = [text]
    for term, expansions in synonyms().items():
        if term in text:
            phrasings.extend(text.replace(term, f" {expansion} ") for expansion in expansions)
    return _any(_parse_text(p) for p in phrasings[:8])


def to_tsquery(node, *, name_only: bool = False) -> str:
    """Render a query tree as tsquery text; ``name_only`` restricts it to the name's weights."""
    if isinstance(node, Lexeme):
        flags = "*" if node.prefix else ""
        if name_only:
            flags += "A" if is_cjk(node.text) else "AB"
        return f"'{node.text}'" + (f":{flags}" if flags else "")
    joiner = " & " if isinstance(node, All) else " | "
    return "(" + joiner.join(to_tsquery(p, name_only=name_only) for p in node.parts) + ")"


def to_q(node, *, field: str = "search_document") -> Q:
    """Render a query tree as LIKE conditions over ``search_document`` (the SQLite fallback)."""
    if isinstance(node, Lexeme):
        needle = f" {node.text}" if node.prefix else f" {node.text} "
        return Q(**{f"{field}__contains": needle})
    parts = [to_q(p, field=field) for p in node.parts]
    return reduce(lambda a, b: a & b, parts) if isinstance(node, All) else reduce(lambda a, b: a | b, parts)


class _TsQuery(Func):
    template = "CAST(%(expressions)s AS tsquery)"
    output_field = SearchQueryField()


class _Matches(Func):
    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


class _Rank(Func):
    function = "ts_rank"
    output_field = FloatField()


def search(queryset: QuerySet[Matter], query: str) -> QuerySet[Matter]:
    """The matters of ``queryset`` that match ``query``, best first (still a lazy queryset)."""
    query = (query or "").strip()
    if not query:
        return queryset
    tree = parse(query)
    if tree is None:  # only punctuation
        return queryset.none()
    # Names are compared as typed (a name is at most 200 characters).
    typed = query[:200]
    name_tiers = [
        When(name__iexact=typed, then=Value(0)),
        When(name__icontains="".join(typed.split()), then=Value(1)),
    ]

    if connections[queryset.db].vendor == "postgresql":
        tsquery = _TsQuery(Value(to_tsquery(tree)))
        name_query = _TsQuery(Value(to_tsquery(tree, name_only=True)))
        return (
            queryset.filter(_Matches(F("search_vector"), tsquery))
            .alias(
                _search_tier=Case(
                    *name_tiers,
                    When(_Matches(F("search_vector"), name_query), then=Value(2)),
                    default=Value(3),
                    output_field=IntegerField(),
                ),
                _search_rank=_Rank(F("search_vector"), tsquery),
            )
            .order_by("_search_tier", "-_search_rank", "-popularity", "pk")
        )

    # Fallback: the name part of search_document ends at the first blank line.
    return (
        queryset.alias(
            _search_head=Substr(F("search_document"), 1, StrIndex(F("search_document"), Value("\n\n")))
        )
        .filter(to_q(tree))
        .alias(
            _search_tier=Case(
                *name_tiers,
                When(to_q(tree, field="_search_head"), then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("_search_tier", "-popularity", "pk")
    )
