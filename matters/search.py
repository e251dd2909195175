"""Chinese full-text search over the catalogue (事项检索).

Interface used by the pages and the API:

* ``search(queryset, query)`` filters the queryset to the matching matters, best first;
* ``reindex(matter)`` and ``reindex_queryset(queryset)`` rebuild the stored index
  (``Matter.search_document`` everywhere, ``Matter.search_vector`` on PostgreSQL);
  ``matters.signals`` calls them whenever an indexed field changes.

How it works. PostgreSQL has no Chinese parser here, so the text is segmented in Python
with jieba (``HMM=False``, so the same text always gives the same words; domain words in
``search_dict.txt``) and the words are stored as a ``tsvector`` literal built here, not by
``to_tsvector``: index and query come from the same code, with no parser or dictionary in
between (the 'simple' configuration, without its parser splitting Chinese punctuation into
words). Weights: A name (its words, every dictionary word inside them, its character
bigrams, the codes), B pinyin of the name (full and initials, from every word on) and the
names of tags and themes, C summary, materials, department and result, D guide text. Each
word is stored once, in its heaviest section, and long texts are capped, so the vector stays
small enough to live in the row. A query is segmented the same way; a query word matches the
same word, the name bigrams (so any piece of a name finds it) or, for Latin letters and
digits, any indexed word it is a prefix of (pinyin ``sfz``, ``shenf``, codes); all query
words must match. Synonyms are expanded on the query side (also when typed in pinyin), so
editing them needs no reindex.

Ranking on PostgreSQL: exact name, then names containing the query, then ``ts_rank`` (a
name match outweighs a mention in the guide), then popularity. SQLite (the embedded mode)
runs the same query tree as ``LIKE`` conditions over ``search_document``, with the same
first two tiers, then matters whose name part matches, then popularity.
"""

from __future__ import annotations

import logging
import re
import threading
import time
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
STOP_WORDS = frozenset((_STOP_WORDS_TEXT + " 和 与 及 或 跟").split())
_SYNONYM_CACHE_KEY = "matters:search:synonyms:v1"
_SYNONYM_CACHE_SECONDS = 600
# Pinyin tokens cover at most this many characters: enough for anything typed.
_PINYIN_SPAN = 8
# At most this many distinct words per section (None: all). A small vector stays inside the
# row, so matching and ranking thousands of rows never reads TOAST (see the 0003 migration).
_SECTION_LIMITS = (None, None, 40, 60, 60)

_WORD_RE = re.compile(r"[^\W_]+")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_CJK_ONLY_RE = re.compile(f"^[{_CJK}]+$")
_ASCII_WORD_RE = re.compile(r"^[a-z0-9]+$")
_LETTERS_RE = re.compile(r"^[a-z]+$")

logger = logging.getLogger(__name__)


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


@lru_cache(maxsize=16384)
def _pinyin_of(run: str) -> tuple[tuple[str, str], ...]:
    """(full, initial) pinyin per character of a word or run of Chinese characters."""
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
        # Per word, so the cache serves the words names share (polyphones are decided
        # within a word anyway: 银行 háng, 行政 xíng).
        pinyin = [p for word in words(run) for p in _pinyin_of(word)]
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
        # Guide text without the words inside words: 许可 in 《行政许可法》 is noise.
        ("D", [w for text in d_texts if text for w in words(normalize(text))]),
    ]


def build_document(matter: Matter, materials: Iterable[str], tags: Iterable[str]) -> Document:
    """The index of one matter from its fields, its material names and its tag/theme names.

    Each word is kept once, in the first (heaviest) section it occurs in, with one position:
    the rank needs no more, and the vector stays small. ``search_document`` holds the name
    part (name words and pinyin), a blank line, then the rest, each word surrounded by
    spaces, so ``LIKE '% word %'`` is an exact word match and ``LIKE '% sfz%'`` a prefix match.
    """
    seen: set[str] = set()
    lines: list[str] = []
    lexemes: list[str] = []
    for (weight, tokens), limit in zip(_sections(matter, materials, tags), _SECTION_LIMITS, strict=True):
        kept: list[str] = []
        for token in tokens:
            if token in seen:
                continue
            if limit is not None and len(kept) >= limit:
                break
            seen.add(token)
            kept.append(token)
        lines.append(" " + " ".join(kept) + " ")
        # Tokens are word characters only, so quoting needs no escaping.
        start = len(lexemes) + 1
        lexemes += [f"'{token}':{min(start + i, 16383)}{weight}" for i, token in enumerate(kept)]
    text = "\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:])
    return Document(text=text, vector=" ".join(lexemes))


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


def fill(
    matter: Matter, *, materials: Iterable[str] = (), tags: Iterable[str] = (), using: str = "default"
) -> None:
    """Set the search columns of a matter not saved yet, from the material and tag/theme names
    it will get: bulk loaders call it before ``bulk_create`` instead of reindexing afterwards
    (which rewrites every row once more)."""
    doc = build_document(matter, materials, tags)
    matter.search_document = doc.text
    matter.search_vector = doc.vector if connections[using].vendor == "postgresql" else None


def reindex(matter: Matter) -> None:
    """Recompute the search index of one matter (after its fields, materials or tags changed)."""
    if matter.pk is None:
        return
    using = matter._state.db or "default"
    for row in _matters_for_indexing(Matter.objects.using(using).filter(pk=matter.pk)):
        doc = build_document(row, *_related_names(row))
        _write(using, [(row.pk, doc)])
        # Keep the caller's instance in step, so a later save() writes the same index.
        matter.search_document = doc.text
        matter.search_vector = doc.vector if connections[using].vendor == "postgresql" else None


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
        _reindex_pks(sorted(pending), using)


def request_reindex(matter_pks: Iterable[int | None], using: str = "default") -> None:
    """Reindex these matters now, or at the end of the enclosing ``deferred_reindex`` block."""
    pks = {pk for pk in matter_pks if pk is not None}
    if not pks:
        return
    pending = getattr(_deferral, "pending", None)
    if pending is not None:
        pending.update(pks)
    else:
        _reindex_pks(sorted(pks), using)


def reindex_queryset(queryset: QuerySet[Matter], batch_size: int = 500) -> int:
    """Recompute the index of every matter of the queryset, ``batch_size`` at a time.

    One UPDATE per batch; used after bulk_create (which sends no signals) and by
    ``manage.py reindex_matters``. Returns the number of matters reindexed.
    """
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    _reindex_pks(pks, queryset.db, batch_size)
    return len(pks)


def _reindex_pks(pks: list[int], using: str, batch_size: int = 500) -> None:
    base = Matter.objects.using(using)
    for start in range(0, len(pks), batch_size):
        batch = _matters_for_indexing(base.filter(pk__in=pks[start : start + batch_size]))
        _write(using, [(m.pk, build_document(m, *_related_names(m))) for m in batch])


# --- synonyms ------------------------------------------------------------------------------


# Each process also keeps the table for a few seconds, sparing a cache round trip per search;
# an edit reaches the other processes within that time.
_SYNONYM_LOCAL_SECONDS = 30
_synonym_memo: tuple[float, dict[str, list[str]]] | None = None


def synonyms() -> dict[str, list[str]]:
    """The admin-edited synonym table as term → expansions (cached; signals clear it)."""
    global _synonym_memo
    memo = _synonym_memo
    if memo is not None and time.monotonic() - memo[0] < _SYNONYM_LOCAL_SECONDS:
        return memo[1]
    try:
        table = cache.get(_SYNONYM_CACHE_KEY)
    except Exception:  # a dead cache server must not take search down: read the table
        logger.warning("synonym cache unavailable", exc_info=True)
        table = None
    if table is None:
        from matters.models import Synonym

        table = {}
        for term, expansion in Synonym.objects.values_list("term", "expansion"):
            term = normalize(term).strip()
            expansions = [e for e in normalize(expansion).split() if e]
            if term and expansions:
                table[term] = expansions
        try:
            cache.set(_SYNONYM_CACHE_KEY, table, _SYNONYM_CACHE_SECONDS)
        except Exception:
            logger.warning("synonym cache unavailable", exc_info=True)
    _synonym_memo = (time.monotonic(), table)
    return table


def clear_synonym_cache() -> None:
    global _synonym_memo
    _synonym_memo = None
    try:
        cache.delete(_SYNONYM_CACHE_KEY)
    except Exception:
        logger.warning("synonym cache unavailable", exc_info=True)


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


@lru_cache(maxsize=4096)
def _pinyin_keys(text: str) -> tuple[str, str]:
    """Full pinyin and initials of the Chinese characters of a text (社保卡 → shebaoka, sbk)."""
    pinyin = [p for run in _CJK_RUN_RE.findall(text) for p in _pinyin_of(run)]
    return "".join(p[0] for p in pinyin), "".join(p[1] for p in pinyin)


def parse(query: str):
    """The query tree: the query as typed, or with a synonym replaced by its expansion.

    A query in pinyin also reaches the synonyms by their pinyin (shebao → 社保卡 → 社会保障卡).
    """
    text = normalize(query)[:MAX_QUERY_CHARS]
    phrasings = [text]
    letters = "".join(text.split())
    letters = letters if len(letters) >= 2 and _LETTERS_RE.match(letters) else ""
    for term, expansions in synonyms().items():
        if term in text:
            phrasings.extend(text.replace(term, f" {expansion} ") for expansion in expansions)
        elif letters:
            full, initials = _pinyin_keys(term)
            if letters == initials or (len(letters) >= 4 and full.startswith(letters)):
                phrasings.extend(expansions)
    return _any(_parse_text(p) for p in phrasings[:8])


def to_tsquery(node) -> str:
    """Render a query tree as tsquery text."""
    if isinstance(node, Lexeme):
        return f"'{node.text}':*" if node.prefix else f"'{node.text}'"
    joiner = " & " if isinstance(node, All) else " | "
    return "(" + joiner.join(to_tsquery(p) for p in node.parts) + ")"


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
    # Control characters (NUL above all) have no place in a query and PostgreSQL refuses NUL.
    query = "".join(c for c in (query or "") if c.isprintable() or c == " ").strip()
    if not query:
        return queryset
    tree = parse(query)
    if tree is None:  # only punctuation
        return queryset.none()
    # Names are compared as typed (a name is at most 200 characters); Chinese has no case.
    typed = query[:200]
    name_tiers = [
        When(name=typed, then=Value(0)),
        When(name__contains="".join(typed.split()), then=Value(1)),
    ]

    if connections[queryset.db].vendor == "postgresql":
        # One more tier is not needed: with the weights (name 1.0, pinyin and tags 0.4,
        # materials 0.2, guide 0.1) a name match outranks a mention in the guide.
        tsquery = _TsQuery(Value(to_tsquery(tree)))
        return (
            queryset.filter(_Matches(F("search_vector"), tsquery))
            .alias(
                _search_tier=Case(*name_tiers, default=Value(2), output_field=IntegerField()),
                _search_rank=_Rank(F("search_vector"), tsquery),
            )
            .order_by("_search_tier", "-_search_rank", "-popularity", "pk")
        )

    # SQLite: the name part of search_document (up to the blank line) stands in for the weights.
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
