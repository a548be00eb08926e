"""Text that ends up in headers, one-line labels and other people's screens.

Control characters (a line break in an email subject is a header injection) and the invisible
marks that reorder text (U+202E shows "Acme" + U+202E + "lper.exe" as "Acmeexe.repl") have
no place in a name. Text typed into the portal is refused with them (`has_unsafe_characters`);
text that comes from elsewhere (Logto) is flattened to one clean line before it goes into a
header (`one_line`).
"""

from __future__ import annotations

import unicodedata

# Bidi embeddings and overrides, isolates, the LTR/RTL marks and the Arabic letter mark.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Cc (C0, DEL, C1), plus the Unicode line and paragraph separators: both break a line.
_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def is_unsafe_character(character: str) -> bool:
    return character in BIDI_CONTROLS or unicodedata.category(character) in _BREAKING_CATEGORIES


def has_unsafe_characters(text: str) -> bool:
    return any(is_unsafe_character(character) for character in text)


def one_line(text: str) -> str:
    """`text` as one line: direction marks dropped, control characters and runs of
    whitespace made one space, no space at either end."""
    visible = "".join(
        "" if c in BIDI_CONTROLS else " " if is_unsafe_character(c) else c for c in text
    )
    return " ".join(visible.split())
