"""What an inbound text asks for: opt out, maybe opt out (a person decides), opt back in, help,
or joining a keyword's list.

Consent may be revoked by any reasonable means (FCC, in force 2025-04-11). What counts is data
a compliance person reads and extends, the phrase file `<OPTLINE_POLICY_DIR>/revocation.yaml`
(`expectations/policies/revocation.yaml`), loaded by `load_revocation` once per export:

- opt-out words (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, BAJA, PARAR,
  CANCELAR, ALTO, ...): a text of only opt-out and filler words ("Please STOP!"), or a short
  text ending with one ("pizza stop");
- opt-out phrases, wherever they stand ("remove me from your list", "don't text", "wrong
  number", "no más mensajes");
- possible revocations: texts that may mean stop ("not interested", "who is this?", an opt-out
  word elsewhere in a longer text, a negated opt-out such as "don't stop"). These are never
  applied on their own: the export's report lists them for a person to decide.

Texts are compared on whole words (letters and digits, never parts of words), ignoring case,
punctuation, apostrophes (straight or curly) and accents. An opt-out wins over everything else
in the same text; a possible revocation wins over START/YES, HELP and list keywords.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optline.config import paths
from optline.intake.manifest import read_limited_yaml

# The FCC/Twilio opt-out words: every phrase file must keep them (each revokes on its own).
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})
# A short text that starts with an opt-in word is an opt-in ("yes please").
SHORT_PHRASE_WORDS = 4
# A list keyword counts within the first two words ("JOIN PIZZA", "pizza!").
KEYWORD_WINDOW = 2

POLICY_FILE = "revocation.yaml"
# Possible-revocation rules that need no entry in the phrase file.
BUILT_IN_RULES = ("opt_out_word_in_message", "negated_opt_out")

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc`\u00b4]")
_RULE = re.compile(r"[a-z][a-z0-9_]*")
_KEYS = {"words", "all_channels_words", "filler_words", "short_message_words", "negation_words",
         "negation_window", "phrases", "possible"}
_REQUIRED_KEYS = ("words", "phrases", "possible")
_PATTERN_KEYS = {"rule", "why", "phrases", "only_words"}


class RevocationConfigError(ValueError):
    """The revocation phrase file is missing or says something Optline cannot apply."""


@dataclass(frozen=True)
class Intent:
    kind: str  # opt_out | possible_revocation | opt_in | help | join | other
    keyword: str | None = None  # the word or phrase that decided it (upper case)
    # opt_out: word | all_channels | phrase; possible_revocation: the phrase file's rule
    rule: str | None = None


@dataclass(frozen=True)
class Pattern:
    """A possible-revocation rule of the phrase file."""
    rule: str
    why: str
    phrases: tuple[tuple[str, ...], ...] = ()
    only_words: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Revocation:
    """The phrase file, normalized the way texts are (`match_words`)."""
    words: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]
    possible: tuple[Pattern, ...]
    all_channels_words: frozenset[str] = frozenset({"STOPALL"})
    filler_words: frozenset[str] = frozenset()
    short_message_words: int = 4
    negation_words: frozenset[str] = frozenset()
    negation_window: int = 3
    source: str = POLICY_FILE

    def match(self, ws: Sequence[str]) -> Intent | None:
        """An opt-out or a possible revocation, or None (`ws`: `match_words` of a text)."""
        hits = [i for i, w in enumerate(ws) if w in self.words]
        sure = [i for i in hits if not self._negated(ws, i)]
        if sure:
            rest = [w for w in ws if w not in self.words and w not in self.filler_words]
            last_word_of_short = len(ws) <= self.short_message_words and sure[-1] == len(ws) - 1
            if not rest or last_word_of_short:
                return self._word_opt_out([ws[i] for i in sure])
        negated = len(sure) < len(hits)
        for start, phrase in _phrases_in(ws, self.phrases):
            if not self._negated(ws, start):
                # the ledger's method: an FCC word that starts the phrase ("stop texting": STOP), else the phrase
                return Intent("opt_out", phrase[0] if phrase[0] in OPT_OUT_WORDS else " ".join(phrase), "phrase")
            negated = True
        if negated:
            return Intent("possible_revocation", next((ws[i] for i in hits), None), "negated_opt_out")
        for pattern in self.possible:
            found = _pattern_match(pattern, ws, self.filler_words)
            if found is not False:
                return Intent("possible_revocation", found, pattern.rule)
        if hits:
            return Intent("possible_revocation", ws[hits[0]], "opt_out_word_in_message")
        return None

    def _negated(self, ws: Sequence[str], index: int) -> bool:
        return any(w in self.negation_words for w in ws[max(0, index - self.negation_window):index])

    def _word_opt_out(self, found: list[str]) -> Intent:
        everywhere = next((w for w in found if w in self.all_channels_words), None)
        if everywhere:
            return Intent("opt_out", everywhere, "all_channels")
        return Intent("opt_out", found[0], "word")


def _phrases_in(ws: Sequence[str], phrases: Sequence[tuple[str, ...]]):
    """(start, phrase) for each phrase found in `ws` as whole words, in the file's order."""
    for phrase in phrases:
        n = len(phrase)
        for start in range(len(ws) - n + 1):
            if tuple(ws[start:start + n]) == phrase:
                yield start, phrase
                break


def _pattern_match(pattern: Pattern, ws: Sequence[str], filler: frozenset[str]) -> str | None | bool:
    """The matched phrase (upper case), None when `only_words` matched, False when nothing did."""
    for _, phrase in _phrases_in(ws, pattern.phrases):
        return " ".join(phrase)
    if pattern.only_words:
        meaningful = [w for w in ws if w not in filler]
        if meaningful and all(w in pattern.only_words for w in meaningful):
            return None
    return False


def words(body: str | None) -> list[str]:
    """Upper-cased words, punctuation, apostrophes and spacing dropped:
    `"Don’t stop, please!"` -> `["DONT", "STOP", "PLEASE"]`."""
    return [w.upper() for w in _WORD.findall(_APOSTROPHES.sub("", body or ""))]


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def match_words(body: str | None) -> list[str]:
    """`words` with accents dropped (`"No más"` -> `["NO", "MAS"]`): what is compared."""
    return [_fold(w) for w in words(body)]


def classify(body: str | None, join_keywords: Collection[str] = (), revocation: Revocation | None = None) -> Intent:
    """Classify one inbound message body. `join_keywords`: the configured list keywords;
    `revocation`: the phrase file (`load_revocation`; read now when not given: pass one
    loaded per export when classifying many)."""
    ws = match_words(body)
    if not ws:
        return Intent("other")
    revoked = (revocation or load_revocation()).match(ws)
    if revoked:
        return revoked
    if ws[0] in OPT_IN_WORDS and len(ws) <= SHORT_PHRASE_WORDS:
        return Intent("opt_in", ws[0])
    if ws[0] in HELP_WORDS:
        return Intent("help", ws[0])
    wanted = {k.upper() for k in join_keywords}
    for w in ws[:KEYWORD_WINDOW]:
        if w in wanted:
            return Intent("join", w)
    return Intent("other")


# --- the phrase file ---------------------------------------------------------------------------

def policy_path() -> Path:
    """Where the phrase file is read from: `<OPTLINE_POLICY_DIR>/revocation.yaml`."""
    return paths().policy_dir / POLICY_FILE


def load_revocation(path: Path | None = None) -> Revocation:
    """Read and check the phrase file (default: `policy_path()`); errors name the file and key."""
    path = path or policy_path()
    if not path.is_file():
        raise RevocationConfigError(f"no revocation phrase file: expected {path}; copy "
                                    f"expectations/policies/{POLICY_FILE} there (or set OPTLINE_POLICY_DIR)")
    data = read_limited_yaml(path, error=RevocationConfigError)  # no aliases, 64 KiB, depth 10, 4,096 characters
    return parse_revocation(data, str(path))


def parse_revocation(data: Any, source: str = POLICY_FILE) -> Revocation:
    """Check a phrase file's mapping and normalize its entries as texts are normalized."""
    def fail(key: str, problem: str) -> RevocationConfigError:
        return RevocationConfigError(f"{source}: `{key}` {problem}; see docs/inbound.md")

    if not isinstance(data, dict):
        raise RevocationConfigError(f"{source}: must be a mapping with {', '.join(_REQUIRED_KEYS)}")
    unknown = sorted(str(k) for k in set(data) - _KEYS)
    if unknown:
        raise fail(unknown[0], f"is not a known key (known: {sorted(_KEYS)})")
    for key in _REQUIRED_KEYS:
        if key not in data:
            raise fail(key, "is missing")
    single = _word_set(data["words"], "words", fail)
    missing = sorted(OPT_OUT_WORDS - single)
    if missing:
        raise fail("words", f"must keep the FCC/Twilio opt-out words; missing {missing}")
    everywhere = _word_set(data.get("all_channels_words", ["STOPALL"]), "all_channels_words", fail)
    if everywhere - single:
        raise fail("all_channels_words", f"lists words that are not in `words`: {sorted(everywhere - single)}")
    return Revocation(
        words=single, phrases=_phrase_list(data.get("phrases"), "phrases", fail),
        possible=_patterns(data.get("possible"), fail), all_channels_words=everywhere,
        filler_words=_word_set(data.get("filler_words", []), "filler_words", fail),
        short_message_words=_count(data, "short_message_words", 4, 1, fail),
        negation_words=_word_set(data.get("negation_words", []), "negation_words", fail),
        negation_window=_count(data, "negation_window", 3, 0, fail), source=source,
    )


def _texts(value: Any, key: str, fail) -> list[str]:
    if not isinstance(value, list):
        raise fail(key, "must be a list of texts, e.g. `[remove me, wrong number]`")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise fail(f"{key}[{i}]", f"must be a text (got {item!r}; quote yes/no/on/off)")
    return value


def _phrase_list(value: Any, key: str, fail) -> tuple[tuple[str, ...], ...]:
    phrases = []
    for i, item in enumerate(_texts(value, key, fail)):
        ws = tuple(match_words(item))
        if not ws:
            raise fail(f"{key}[{i}]", f"has no words (got {item!r})")
        phrases.append(ws)
    return tuple(phrases)


def _word_set(value: Any, key: str, fail) -> frozenset[str]:
    found = set()
    for i, item in enumerate(_texts(value, key, fail)):
        ws = match_words(item)
        if len(ws) != 1:
            raise fail(f"{key}[{i}]", f"must be one word (got {item!r}); put phrases under `phrases`")
        found.add(ws[0])
    return frozenset(found)


def _count(data: dict, key: str, default: int, minimum: int, fail) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(key, f"must be a whole number of at least {minimum} (got {value!r})")
    return value


def _patterns(value: Any, fail) -> tuple[Pattern, ...]:
    if not isinstance(value, list):
        raise fail("possible", "must be a list of rules, each with `rule`, `why` and `phrases` or `only_words`")
    patterns: list[Pattern] = []
    for i, raw in enumerate(value):
        where = f"possible[{i}]"
        if not isinstance(raw, dict):
            raise fail(where, "must be a mapping with `rule`, `why` and `phrases` or `only_words`")
        unknown = sorted(str(k) for k in set(raw) - _PATTERN_KEYS)
        if unknown:
            raise fail(f"{where}.{unknown[0]}", f"is not a known key (known: {sorted(_PATTERN_KEYS)})")
        rule = raw.get("rule")
        if not isinstance(rule, str) or not _RULE.fullmatch(rule):
            raise fail(f"{where}.rule", "must be a snake_case name, e.g. not_interested")
        if rule in BUILT_IN_RULES or rule in {p.rule for p in patterns}:
            raise fail(f"{where}.rule", f"{rule!r} is built in or listed twice")
        why = raw.get("why")
        if not isinstance(why, str) or not why.strip():
            raise fail(f"{where}.why", "must say why such a text is doubtful")
        if ("phrases" in raw) == ("only_words" in raw):
            raise fail(where, "needs exactly one of `phrases` and `only_words`")
        phrases = _phrase_list(raw["phrases"], f"{where}.phrases", fail) if "phrases" in raw else ()
        only = _word_set(raw["only_words"], f"{where}.only_words", fail) if "only_words" in raw else frozenset()
        patterns.append(Pattern(rule=rule, why=why.strip(), phrases=phrases, only_words=only))
    return tuple(patterns)
