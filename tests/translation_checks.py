"""Checkers behind the translation tests (issue 18): visible text left outside the translation
machinery in a template, catalogue entries a German reader would meet as English (or broken),
and English found in what a page shows. Each returns findings, an empty list when all is well;
the tests that use them check each one on a small seeded example first, so none passes by
finding nothing to look at."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[1]

# Attributes whose values a person reads (tooltips, alternatives, screen readers, the confirm
# dialog's question): checked like text. `value` only where it is a button's label.
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}
# The confirm dialog's texts (app.js, "confirm dialog"): data-confirm-* but the count's selector.
CONFIRM_MACHINE_ATTRIBUTES = {"data-confirm-count", "data-confirm-danger"}


def shown_attribute(tag: str, name: str, attrs: dict[str, str | None]) -> bool:
    """Whether a person reads (or hears) this attribute's value."""
    if name == "value":
        return tag == "input" and (attrs.get("type") or "").lower() in BUTTON_INPUT_TYPES
    if name.startswith("data-confirm") or name == "hx-confirm":
        return name not in CONFIRM_MACHINE_ATTRIBUTES
    return name in VISIBLE_ATTRIBUTES


# A word: two or more letters in a row (any script).
WORD = re.compile(r"[^\W\d_]{2,}")

# Text with letters in a template that is not language. Keep this short, and say why.
TEMPLATE_ALLOWED: set[str] = set()

# Stands in for a variable or a translated string while a template's text is read as HTML: no
# letters, no newline (Django's tags never span lines, so line numbers stay the template's).
HOLE = "\ue000"

TRANSLATE_TAGS = {"translate", "trans"}
BLOCKTRANSLATE_TAGS = {"blocktranslate", "blocktrans"}
END_BLOCKTRANSLATE = {"endblocktranslate", "endblocktrans"}


@dataclass(frozen=True)
class Finding:
    where: str  # file:line, or a page, or a catalogue entry
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


# -- 1. templates ----------------------------------------------------------------------------
def template_holes(source: str) -> str:
    """The template with everything that is not literal text turned into HOLE: variables,
    tags, {% translate %}, whole {% blocktranslate %}...{% endblocktranslate %} and
    {% comment %}...{% endcomment %} blocks. Newlines of dropped blocks are kept."""
    out: list[str] = []
    skipping: set[str] | None = None  # the end tags of the block being dropped
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            out.append(token.contents if skipping is None else "\n" * token.contents.count("\n"))
            continue
        name = token.contents.split()[0] if token.contents.split() else ""
        if skipping is not None:
            if token.token_type == TokenType.BLOCK and name in skipping:
                skipping = None
            out.append(HOLE)
            continue
        if token.token_type == TokenType.BLOCK and name in BLOCKTRANSLATE_TAGS:
            skipping = END_BLOCKTRANSLATE
        elif token.token_type == TokenType.BLOCK and name == "comment":
            skipping = {"endcomment"}
        out.append(HOLE)
    return "".join(out)


def words_in(text: str) -> bool:
    return bool(WORD.search(text.replace(HOLE, " ")))


def tidy(text: str) -> str:
    """The text as a report shows it: spaces collapsed, each run of holes (variables, tags,
    translated strings) one "…"."""
    text = re.sub(
        f"[{HOLE}\\s]*{HOLE}[{HOLE}\\s]*",
        lambda m: f" {HOLE} " if m.group().strip(HOLE) else HOLE,
        text,
    )
    return " ".join(text.split()).replace(HOLE, "…")


class _OutsideScripts(HTMLParser):
    """An HTML reader that knows whether it is inside <script>/<style> (never read by a
    person) and hands every tag's attributes to `_attributes`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)
        if tag in ("script", "style"):
            self._hidden_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden_depth:
            self._hidden_depth -= 1

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """What a reader takes from a tag's attributes: nothing here; each reader says."""


class _VisibleText(_OutsideScripts):
    """Collects (line, text) of what a person reads in HTML: text outside <script> and
    <style>, and the visible attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []

    def handle_data(self, data: str) -> None:
        if self._hidden_depth:
            return
        line = self.getpos()[0]
        # Report each line of a text run at its own line.
        for offset, part in enumerate(data.split("\n")):
            if part.strip():
                self.found.append((line + offset, part))

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = dict(attrs)
        for name, value in attrs:
            if value and shown_attribute(tag, name, values):
                self.found.append((line, value))


def template_findings(source: str, origin: str, *, html_like: bool = True) -> list[Finding]:
    """Text with a word of 2+ letters left outside {% translate %}/{% blocktranslate %}."""
    text = template_holes(source)
    if html_like:
        parser = _VisibleText()
        parser.feed(text)
        parser.close()
        pieces = parser.found
    else:  # plain-text emails: every line is read
        pieces = [(n, line) for n, line in enumerate(text.split("\n"), start=1)]
    findings = []
    for line, piece in pieces:
        if words_in(piece) and tidy(piece) not in TEMPLATE_ALLOWED:
            findings.append(Finding(f"{origin}:{line}", tidy(piece)))
    return findings


def our_templates() -> Iterator[Path]:
    """Every template the project owns: templates/ and the templates dirs of our apps."""
    roots = [ROOT / "templates", *sorted((ROOT / "orgportal").glob("**/templates"))]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".txt"):
                yield path


def all_template_findings() -> list[Finding]:
    findings = []
    for path in our_templates():
        source = path.read_text(encoding="utf-8")
        origin = str(path.relative_to(ROOT))
        findings += template_findings(source, origin, html_like=path.suffix == ".html")
    return findings


# -- 2. catalogues ---------------------------------------------------------------------------
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[sdifrxXeEgGoc%]")
BRACE = re.compile(r"\{[A-Za-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}")


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """(named, positional) placeholders: %(name)s and {name} are named (order free), %s, %d
    and {} positional (order kept). %% and {{ }} are literal."""
    named, positional = [], []
    for match in PERCENT.finditer(text):
        token = match.group()
        if token == "%%":
            continue
        (named if token.startswith("%(") else positional).append(token)
    for match in BRACE.finditer(text.replace("{{", "").replace("}}", "")):
        token = match.group()
        inner = token[1:-1].split("!")[0].split(":")[0]
        (named if inner and not inner.isdigit() else positional).append(token)
    return sorted(named), positional


def nplurals(po) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 0


def catalogue_findings(path: Path, origin: str | None = None) -> list[Finding]:
    """Untranslated, fuzzy, placeholder-changing and plural-form-missing entries of a .po."""
    import polib

    origin = origin or str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    po = polib.pofile(str(path))
    forms = nplurals(po)
    findings = []
    if not forms:
        findings.append(Finding(origin, "the header has no Plural-Forms (nplurals=...)"))
    for entry in po:
        if entry.obsolete:
            continue
        where = f"{origin}:{entry.linenum}"
        said = f"msgid {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            findings.append(Finding(where, f"fuzzy: {said}"))
        if entry.msgid_plural:
            got = {int(k): v for k, v in entry.msgstr_plural.items()}
            missing = [n for n in range(max(forms, 1)) if not got.get(n)]
            if len(missing) == len(range(max(forms, 1))):
                findings.append(Finding(where, f"untranslated: {said}"))
            elif missing:
                findings.append(Finding(where, f"plural form(s) {missing} missing: {said}"))
            for n, text in sorted(got.items()):
                source = entry.msgid if n == 0 else entry.msgid_plural
                if text and placeholders(text) != placeholders(source):
                    findings.append(
                        Finding(
                            where,
                            f"msgstr[{n}] {text!r} has placeholders {placeholders(text)}, "
                            f"its msgid {placeholders(source)}: {said}",
                        )
                    )
            continue
        if not entry.msgstr:
            findings.append(Finding(where, f"untranslated: {said}"))
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            findings.append(
                Finding(
                    where,
                    f"msgstr {entry.msgstr!r} has placeholders {placeholders(entry.msgstr)}, "
                    f"its msgid {placeholders(entry.msgid)}: {said}",
                )
            )
    return findings


# -- 3. English on a page --------------------------------------------------------------------
# Words a German page never holds (whole words, any case): only words that are not German too
# (not "was", "Person", "Moment", "Minute", "Name", "Team", "Admin", "Link", "Support").
_ENGLISH = """
    the and your you were with from this that have has will please could would should
    are not for can here there who what when which been yet just now only more than
    members member invite invited invites inviting invitation invitations
    organization organizations remove removed role roles pending
    settings activity sign signed cancel save saved ago minutes hours hour days day
    weeks week months month year years seconds today yesterday never
    accept accepted decline declined revoke revoked resend expired expires expire
    leave left delete deleted change changed changes create created search apply undo
    back next previous page of none nothing something someone everyone anyone
    email address addresses account people welcome sorry error failed try again
    later skip content confirm permission permissions owner select selected choose
    send sent by out into about because his her their they them its it is
    january february march may june july october december monday tuesday wednesday
    thursday friday saturday sunday oct dec
"""
ENGLISH_WORDS = frozenset(_ENGLISH.split())
ENGLISH_WORD = re.compile(
    r"(?<![^\W\d_])(" + "|".join(sorted(ENGLISH_WORDS)) + r")(?![^\W\d_])", re.IGNORECASE
)


class _PageText(_OutsideScripts):
    """What a person reads on a page: text outside <script>/<style>, and visible attributes
    (tooltips, alternatives, labels read aloud, the confirm dialog's question, button values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS or tag == "br":
            self.parts.append("\n")
        values = dict(attrs)
        for name, value in attrs:
            if value and shown_attribute(tag, name, values):
                self.parts.append(f"\n{value}\n")


BLOCK_TAGS = {
    "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "header", "footer", "nav", "main", "form", "label", "button", "option", "title", "dt",
    "dd", "table", "ul", "ol", "dialog", "summary", "details", "a", "span", "legend",
}  # fmt: skip


def visible_text(markup: str, *, drop: Iterable[str] = ()) -> list[str]:
    """The lines a person reads in HTML (a page or a fragment), with `drop` (user data the
    test seeded: names, addresses, organization names) each replaced by USER_DATA."""
    parser = _PageText()
    parser.feed(markup)
    parser.close()
    return without_user_data("".join(parser.parts).split("\n"), drop)


# Stands in for user data taken out of a page's text: not a word, but it fills a placeholder.
USER_DATA = "•"


def without_user_data(lines: Iterable[str], drop: Iterable[str]) -> list[str]:
    values = sorted(drop, key=len, reverse=True)
    cleaned = []
    for line in lines:
        for value in values:
            line = line.replace(value, USER_DATA)
        if line.strip():
            cleaned.append(" ".join(line.split()))
    return cleaned


def toast_texts(response) -> list[str]:
    """The sentences of the toasts an HTMX response triggers (HX-Trigger JSON)."""
    header = response.get("HX-Trigger") if hasattr(response, "get") else None
    if not header:
        return []
    try:
        trigger = json.loads(header)
    except ValueError:
        return [header]
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("message", "label", "title", "text", "detail") and isinstance(
                    inner, str
                ):
                    texts.append(inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(trigger)
    return texts


@dataclass
class CatalogueSentences:
    """msgids of 2+ words whose German differs (or is missing), as patterns that match them
    on a page with any value in their placeholders."""

    patterns: list[tuple[str, re.Pattern[str]]]

    @classmethod
    def load(cls, paths: Iterable[Path]) -> CatalogueSentences:
        import polib

        patterns = []
        for path in paths:
            for entry in polib.pofile(str(path)):
                if entry.obsolete:
                    continue
                translations = [entry.msgstr, *entry.msgstr_plural.values()]
                for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                    if msgid in translations:
                        continue  # the same in German ("OK", "Admin")
                    pattern = sentence_pattern(msgid)
                    if pattern is not None:
                        patterns.append((msgid, pattern))
        return cls(patterns)

    def found_in(self, line: str) -> list[str]:
        return [msgid for msgid, pattern in self.patterns if pattern.search(line)]


def sentence_pattern(msgid: str) -> re.Pattern[str] | None:
    """A msgid as a pattern: its literal text with spaces loosened and each placeholder any
    short text; None when its literal text holds fewer than two words."""
    parts = re.split(f"(?:{PERCENT.pattern})|(?:{BRACE.pattern})", msgid)
    literal = " ".join(parts)
    if len(WORD.findall(literal)) < 2:
        return None
    pieces = [r"\s+".join(re.escape(word) for word in part.split()) for part in parts]
    glued = []
    for index, (raw, piece) in enumerate(zip(parts, pieces, strict=True)):
        lead = r"\s*" if raw[:1].isspace() else ""
        tail = r"\s*" if raw[-1:].isspace() else ""
        glued.append(lead + piece + tail)
        if index < len(parts) - 1:
            glued.append(r".{1,120}?")
    body = "".join(glued)
    starts = r"(?<![^\W\d_])" if WORD.match(msgid) else ""
    ends = r"(?![^\W\d_])" if re.search(r"[^\W\d_]$", msgid) else ""
    return re.compile(starts + body + ends)


# The months as German dates write them (a German date never shows an English month).
GERMAN_MONTHS = [
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
]  # fmt: skip

URL = re.compile(r"https?://\S+")


def english_findings(
    where: str, lines: Iterable[str], sentences: CatalogueSentences
) -> list[Finding]:
    """English in what a page shows: (a) a catalogue sentence whose German differs, (b) a word
    of ENGLISH_WORDS. One finding per line, naming what was found."""
    findings = []
    for line in lines:
        found = [f"catalogue sentence {m!r}" for m in sentences.found_in(line)]
        # A link's path is an address, not a sentence ("/invitations/…" in an email).
        words = sorted({m.group(1).lower() for m in ENGLISH_WORD.finditer(URL.sub(" ", line))})
        if words:
            found.append("English words " + ", ".join(words))
        if found:
            findings.append(Finding(where, f"{line!r} ({'; '.join(found)})"))
    return findings


# -- a tenant whose data holds no English word ---------------------------------------------
# What the portal shows of its data (names, addresses, the organization, Logto's role and
# permission names) is not language whatever the language; the German checks take it out of
# the text, and choose it so that nothing English hides in it. Role names come from Logto and
# are never translated: German ones here, as a German operator would name them.
ADMIN_ROLE, MEMBER_ROLE = "Leitung", "Mitglied"
PEOPLE = {
    "alice@example.com": "Anja Adler",
    "bob@example.com": "Bernd Brandt",
    "carol@example.com": "Clara Kühn",
    "staff@example.com": "Sam Hilfe",
}
EXTRA_MEMBERS = {"dora@example.com": "Dora Dietz", "emil@example.com": "Emil Engel"}
PENDING = ("jana@beispiel.de", "kurt@beispiel.de")
OTHER_ADDRESSES = ("lena@beispiel.de", "clara@beispiel.de", "otto@beispiel.de", "kaputt@")
ORGANIZATION, DESCRIPTION = "Kraftwerk Nord", "Werkstatt für Fahrräder"
PERMISSIONS = (
    "invite:member",
    "manage:member",
    "delete:member",
    "manage:organization",
    "delete:organization",
)


def german_neutral_tenant(state, settings):
    """Rename the demo tenant's people, organization and roles (settings follow the roles);
    returns the organization (Acme, now ORGANIZATION)."""
    settings.ORGPORTAL_ADMIN_ROLE = settings.ORGPORTAL_CREATOR_ROLE = ADMIN_ROLE
    settings.ORGPORTAL_MEMBER_ROLE = MEMBER_ROLE
    admin, member = state.role_by_name("admin"), state.role_by_name("member")
    admin.name, admin.description = ADMIN_ROLE, "Verwaltet Zugänge"
    member.name, member.description = MEMBER_ROLE, "Gehört dazu"
    for email, name in PEOPLE.items():
        state.user_by_email(email).name = name
    org = next(o for o in state.organizations.values() if o.name == "Acme")
    org.name, org.description = ORGANIZATION, DESCRIPTION
    return org


def masked(email: str) -> str:
    """An address as the anonymous invitation page shows it (c***l@example.com)."""
    local, domain = email.split("@")
    return f"{local[0]}***{local[-1]}@{domain}" if local else email


def user_data() -> list[str]:
    addresses = [*PEOPLE, *EXTRA_MEMBERS, *PENDING, *OTHER_ADDRESSES]
    return [
        *PERMISSIONS,
        *addresses,
        *[masked(a) for a in addresses if not a.endswith("@")],
        *PEOPLE.values(),
        *EXTRA_MEMBERS.values(),
        ORGANIZATION,
        DESCRIPTION,
        ADMIN_ROLE,
        MEMBER_ROLE,
    ]


def german_catalogues() -> list[Path]:
    return sorted((ROOT / "locale" / "de" / "LC_MESSAGES").glob("*.po"))
