"""The engine's words exist in Chinese, and the compiled catalog matches its source."""

from __future__ import annotations

import io

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import ROOT

CATALOG = ROOT / "posterbooth" / "translations" / "zh" / "LC_MESSAGES"
METHODS = [("posterbooth/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _extracted() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_engine_message_is_translated_to_chinese():
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(_extracted() - translated)
    assert not missing, f"translate in messages.po (see docs/development.md): {missing}"


def test_compiled_catalog_matches_its_source():
    def entries(catalog) -> dict[object, object]:
        return {_key(m.id): _key(m.string) for m in catalog if m.id}

    with open(CATALOG / "messages.po", "rb") as handle:
        source = entries(read_po(handle))
    compiled = entries(read_mo(io.BytesIO((CATALOG / "messages.mo").read_bytes())))
    assert compiled == source, "run: pybabel compile -d posterbooth/translations -l zh"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value
