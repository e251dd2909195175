"""The translation catalogues: complete, compiled, and the zh_Hans overrides in force.

The .mo files are committed (a fresh machine may lack gettext), so a test checks that each
one says exactly what its .po says, reading both in Python: no msgfmt needed.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
PYTHON_FORMAT = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")
BRACE_FORMAT = re.compile(r"\{(\w*)\}")
HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
# Pieces of a sentence split around a visually hidden page number ("第 3 页" in Chinese);
# English needs no word after the number, so the msgstr is a single space.
WHITESPACE_ONLY_ALLOWED = {"页"}


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def read_po(path: Path) -> list[Entry]:
    """A small PO reader: enough for the files makemessages and our hand-written overrides produce."""
    entries, entry, target = [], Entry(), None

    def finish():
        nonlocal entry
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry = Entry()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            target = None
        elif line.startswith("#~"):
            continue  # obsolete entries are not compiled
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(target, int):
                entry.msgstr[target] += value
            else:
                setattr(entry, target, getattr(entry, target) + value)
        else:
            keyword, _, value = line.partition(" ")
            value = ast.literal_eval(value)
            if keyword.startswith("msgstr"):
                target = int(keyword[7:-1]) if "[" in keyword else 0
                entry.msgstr[target] = value
            else:
                target = keyword
                setattr(entry, keyword, value)
    finish()
    header, *messages = entries
    assert header.msgid == "", f"{path} has no header"
    return messages


def catalogue_key(entry: Entry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid


def assert_compiled(po_path: Path) -> None:
    """The .mo next to a .po holds exactly its translations."""
    with open(po_path.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in read_po(po_path):
        if "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural is None:
            expected[catalogue_key(entry)] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                expected[(catalogue_key(entry), index)] = text
    compiled = {key: value for key, value in compiled.items() if key != ""}
    missing = sorted(str(key) for key in expected if key not in compiled)
    changed = sorted(str(key) for key in expected if key in compiled and compiled[key] != expected[key])
    extra = sorted(str(key) for key in compiled if key not in expected)
    assert (missing, changed, extra) == ([], [], []), (
        f"{po_path.with_suffix('.mo')} is out of date: run manage.py compilemessages --ignore '.venv/*'"
    )


def test_every_english_message_is_translated():
    untranslated = [
        entry.msgid
        for entry in read_po(EN_PO)
        if any(not text for text in entry.msgstr.values())
        or (
            entry.msgid not in WHITESPACE_ONLY_ALLOWED
            and any(not text.strip() for text in entry.msgstr.values())
        )
    ]

    assert untranslated == []


def test_no_english_translation_is_left_fuzzy():
    assert [entry.msgid for entry in read_po(EN_PO) if "fuzzy" in entry.flags] == []


def test_plural_english_messages_have_both_forms():
    plurals = [entry for entry in read_po(EN_PO) if entry.msgid_plural is not None]

    assert plurals
    assert [entry.msgid for entry in plurals if sorted(entry.msgstr) != [0, 1]] == []


def test_english_translations_keep_the_placeholders_and_the_markup():
    broken = []
    for entry in read_po(EN_PO):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for text in entry.msgstr.values():
            for pattern in (PYTHON_FORMAT, HTML_TAG) + (
                (BRACE_FORMAT,) if "python-brace-format" in entry.flags else ()
            ):
                wanted = set().union(*(set(pattern.findall(source)) for source in sources))
                if set(pattern.findall(text)) != wanted:
                    broken.append((entry.msgid, text))
    assert broken == []


def test_english_translations_contain_chinese_only_in_search_examples():
    # The catalogue is Chinese, so search examples keep what a visitor has to type, glossed in English.
    leftovers = [
        (entry.msgid, text)
        for entry in read_po(EN_PO)
        for text in entry.msgstr.values()
        if CJK.search(text) and "e.g." not in text.lower()
    ]

    assert leftovers == []


def test_the_compiled_english_catalogue_is_up_to_date():
    assert_compiled(EN_PO)


def test_the_compiled_chinese_overrides_are_up_to_date():
    assert_compiled(ZH_PO)


def test_the_chinese_overrides_only_hold_third_party_messages():
    # Running makemessages for zh_Hans would copy the portal's own Chinese msgids in here.
    assert [entry.msgid for entry in read_po(ZH_PO) if CJK.search(entry.msgid)] == []


def test_the_chinese_overrides_win_over_the_packages_own_translations():
    # Looked up through aliases so that makemessages does not copy these msgids into our catalogue.
    lookup, lookup_in_context = translation.gettext, translation.pgettext
    with translation.override("zh-hans"):
        assert lookup_in_context("field label", "Login") == "用户名或电子邮箱"
        assert lookup("Email") == "电子邮箱"
        assert lookup("Log out") == "退出登录"


@pytest.mark.django_db
def test_the_login_form_labels_its_field_as_username_or_email(client):
    html = client.get(reverse("account_login")).content.decode()

    assert "用户名或电子邮箱" in html
    assert "用户名或email" not in html


@pytest.mark.django_db
def test_the_signup_page_says_email_address_in_chinese(client):
    html = client.get(reverse("account_signup")).content.decode()

    assert "电子邮箱" in html
    assert "Email" not in html.replace('type="email"', "").replace('name="email"', "")
