"""The zh-Hans catalogue is whole: every message has a translation written for it, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-#0 +]*\d*(?:\.\d+)?[sdfg]|\{[a-z_]+\}")


def entries(path: Path) -> list[dict]:
    """The catalogue's entries as {"flags", "msgid", "msgid_plural", "msgstr", "msgstr[0]"}: a PO reader just
    big enough for the file makemessages writes."""
    found: list[dict] = []
    entry: dict = {}
    key = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry:
                found.append(entry)
            entry, key = {}, None
        elif line.startswith("#,"):
            entry["flags"] = line[2:].strip()
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return [entry for entry in found if entry.get("msgid")]


def test_every_message_is_translated_and_none_is_a_fuzzy_guess():
    catalogue = entries(CATALOGUE)

    assert len(catalogue) > 250
    assert [entry["msgid"] for entry in catalogue if not (entry.get("msgstr") or entry.get("msgstr[0]"))] == []
    assert [entry["msgid"] for entry in catalogue if "fuzzy" in entry.get("flags", "")] == []


def test_every_translation_keeps_the_placeholders_of_its_message():
    for entry in entries(CATALOGUE):
        translated = entry.get("msgstr") or entry["msgstr[0]"]
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(entry["msgid"])), entry["msgid"]


def test_the_vendor_words_are_the_glossarys():
    with translation.override("zh-hans"):
        assert [translation.gettext(word) for word in ("Batch", "Due", "Rejected", "Annotator")] == [
            "批次",
            "截止时间",
            "已驳回",
            "标注员",
        ]
