"""What an inbound text asks for: opt out, opt back in, help, or joining a keyword's list.

Opt-out words are the FCC/Twilio set (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
OPTOUT, "OPT OUT"), in any case, with any punctuation around them, alone or in a short
phrase ("stop please", "Please STOP!"). An opt-out wins over everything else in the same
message: consent may be revoked by any reasonable means, so a doubtful message revokes.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})
# A message this short that contains an opt-out word is an opt-out ("please stop", "stop it now").
SHORT_PHRASE_WORDS = 4
# A list keyword counts within the first two words ("JOIN PIZZA", "pizza!").
KEYWORD_WINDOW = 2

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Intent:
    kind: str  # opt_out | opt_in | help | join | other
    keyword: str | None = None  # the word that decided it (upper case)


def words(body: str | None) -> list[str]:
    """Upper-cased words, punctuation and spacing dropped: `"Stop, please!"` -> `["STOP", "PLEASE"]`."""
    return [w.upper() for w in _WORD.findall(body or "")]


def _opt_out_word(ws: list[str]) -> str | None:
    for first, second in zip(ws, ws[1:]):
        if (first, second) == ("OPT", "OUT") and (ws[0] == "OPT" or len(ws) <= SHORT_PHRASE_WORDS):
            return "OPT OUT"
    if ws[0] in OPT_OUT_WORDS:
        return ws[0]
    if len(ws) <= SHORT_PHRASE_WORDS:
        return next((w for w in ws if w in OPT_OUT_WORDS), None)
    return None


def classify(body: str | None, join_keywords: Collection[str] = ()) -> Intent:
    """Classify one inbound message body. `join_keywords`: the configured list keywords."""
    ws = words(body)
    if not ws:
        return Intent("other")
    stop = _opt_out_word(ws)
    if stop:
        return Intent("opt_out", stop)
    if ws[0] in OPT_IN_WORDS and len(ws) <= SHORT_PHRASE_WORDS:
        return Intent("opt_in", ws[0])
    if ws[0] in HELP_WORDS:
        return Intent("help", ws[0])
    wanted = {k.upper() for k in join_keywords}
    for w in ws[:KEYWORD_WINDOW]:
        if w in wanted:
            return Intent("join", w)
    return Intent("other")
