"""Inbound keywords: each opt-out form (words, phrases, possible revocations from the phrase
file), START/UNSTOP/YES, HELP, and list keywords."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from optline.consent.keywords import (
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    RevocationConfigError,
    classify,
    load_revocation,
    words,
)
from tests.conftest import PROJECT

SHIPPED_FILE = PROJECT / "expectations" / "policies" / "revocation.yaml"
REVOCATION = load_revocation(SHIPPED_FILE)

PUNCTUATION = st.text(alphabet=" .,!?;:-'\"()*\n\t", max_size=4)


@pytest.mark.parametrize("body", ["STOP", "stop", "Stop.", " STOP! ", "stop please", "Please stop",
                                  "STOPALL", "unsubscribe", "Cancel", "end", "QUIT", "revoke", "optout",
                                  "opt out", "OPT-OUT", "Opt out please", "stop it now!!", "yes stop"])
def test_each_opt_out_form_opts_out(body):
    assert classify(body, {"PIZZA"}).kind == "opt_out"


@pytest.mark.parametrize("body", ["I will never stop loving your pizza deals", "Don't cancel my Friday order please",
                                  "stopped by the store today", "START", "the weekend"])
def test_a_long_message_or_a_word_that_only_contains_stop_is_not_an_opt_out(body):
    assert classify(body).kind != "opt_out"


@pytest.mark.parametrize("body,keyword", [("START", "START"), ("unstop", "UNSTOP"), ("Yes!", "YES"),
                                          ("yes please", "YES")])
def test_start_unstop_and_yes_ask_to_come_back(body, keyword):
    assert classify(body) == classify(body.lower()) and classify(body).kind == "opt_in"
    assert classify(body).keyword == keyword


def test_help_asks_for_help():
    assert classify("help").kind == "help" and classify("HELP me").kind == "help"


@pytest.mark.parametrize("body", ["PIZZA", "pizza!", "join pizza", "Hi PIZZA fans"])
def test_a_list_keyword_within_the_first_two_words_joins(body):
    assert classify(body, {"pizza"}).kind == "join"
    assert classify(body, {"pizza"}).keyword == "PIZZA"


def test_a_list_keyword_later_in_the_message_does_not_join():
    assert classify("hello there, pizza", {"PIZZA"}).kind == "other"


def test_opt_out_wins_over_a_keyword_in_the_same_message():
    assert classify("pizza stop", {"PIZZA"}).kind == "opt_out"


def test_empty_and_punctuation_only_bodies_are_other():
    assert classify("").kind == classify(None).kind == classify("?!").kind == "other"


@given(word=st.sampled_from(sorted(OPT_OUT_WORDS)), before=PUNCTUATION, after=PUNCTUATION,
       case=st.sampled_from([str.upper, str.lower, str.title]))
def test_any_case_and_punctuation_around_an_opt_out_word_still_opts_out(word, before, after, case):
    assert classify(before + case(word) + after).kind == "opt_out"


@given(word=st.sampled_from(sorted(OPT_IN_WORDS)), before=PUNCTUATION, after=PUNCTUATION)
def test_any_punctuation_around_an_opt_in_word_still_opts_in(word, before, after):
    assert classify(before + word.lower() + after).kind == "opt_in"


def test_words_drop_punctuation_and_keep_letters_of_any_script():
    assert words("  Stop, please!! Ünsubscribe_now ") == ["STOP", "PLEASE", "ÜNSUBSCRIBE", "NOW"]


# --- revocation by any reasonable means (FCC, in force 2025-04-11) ----------------------------

OPT_OUT, POSSIBLE, NOT = "opt_out", "possible_revocation", "not"

# Real-world replies and what each must be: an opt-out applied at once, a possible revocation
# for a person to decide, or neither.
PHRASINGS = [
    ("STOP", OPT_OUT),
    ("Stop please", OPT_OUT),
    ("please stop", OPT_OUT),
    ("STOP STOP STOP", OPT_OUT),
    ("ok stop", OPT_OUT),
    ("I said stop", OPT_OUT),
    ("remove me from your list", OPT_OUT),
    ("Please remove me from this list, thanks", OPT_OUT),
    ("REMOVE", OPT_OUT),
    ("take me off", OPT_OUT),
    ("Take me off your list!", OPT_OUT),
    ("do not text me", OPT_OUT),
    ("Do NOT text me again", OPT_OUT),
    ("don't text", OPT_OUT),
    ("don\u2019t text me anymore", OPT_OUT),  # a curly apostrophe
    ("Dont text me", OPT_OUT),
    ("stop texting me", OPT_OUT),
    ("quit texting me", OPT_OUT),
    ("Stop sending me these messages", OPT_OUT),
    ("wrong number", OPT_OUT),
    ("Sorry, you have the wrong number", OPT_OUT),
    ("no more texts", OPT_OUT),
    ("No more messages please", OPT_OUT),
    ("leave me alone", OPT_OUT),
    ("unsubscribe me", OPT_OUT),
    ("Please unsubscribe me from this list", OPT_OUT),
    ("I want to opt out", OPT_OUT),
    ("OPT-OUT", OPT_OUT),
    ("BAJA", OPT_OUT),
    ("baja por favor", OPT_OUT),
    ("parar", OPT_OUT),
    ("Cancelar", OPT_OUT),
    ("ALTO", OPT_OUT),
    ("No más mensajes", OPT_OUT),
    ("número equivocado", OPT_OUT),
    ("quiero darme de baja", OPT_OUT),
    ("not interested", POSSIBLE),
    ("No thanks, not interested.", POSSIBLE),
    ("who is this?", POSSIBLE),
    ("Who's this", POSSIBLE),
    ("how did you get my number", POSSIBLE),
    ("stop by the store", POSSIBLE),
    ("Can you cancel my order for Friday", POSSIBLE),
    ("I texted stop last week and you still send me things every day", POSSIBLE),
    ("don't stop", POSSIBLE),
    ("please don't remove me from the list", POSSIBLE),
    ("this is spam", POSSIBLE),
    ("fuck off", POSSIBLE),
    ("no me interesa", POSSIBLE),
    ("¿Quién es?", POSSIBLE),
    ("stopped by the store today", NOT),
    ("Thanks, see you Saturday!", NOT),
    ("the weekend", NOT),
    ("Is the shop open on Sunday?", NOT),
    ("START", NOT),
    ("yes please", NOT),
    ("HELP", NOT),
    ("pizza", NOT),
    ("I removed the app", NOT),
    ("stopwatch", NOT),
    ("", NOT),
]


@pytest.mark.parametrize("body,expected", PHRASINGS)
def test_revocation_by_any_reasonable_means_is_an_opt_out_a_possible_revocation_or_neither(body, expected):
    kind = classify(body, {"PIZZA"}, REVOCATION).kind
    if expected == NOT:
        assert kind not in (OPT_OUT, POSSIBLE)
    else:
        assert kind == expected


def test_the_phrasing_table_covers_at_least_forty_phrasings_each_way():
    kinds = [expected for _, expected in PHRASINGS]
    assert len(PHRASINGS) >= 40 and {OPT_OUT, POSSIBLE, NOT} == set(kinds)


def test_a_possible_revocation_names_the_rule_and_the_words_that_made_it_doubtful():
    intent = classify("Not interested, thanks", revocation=REVOCATION)
    assert (intent.kind, intent.rule, intent.keyword) == (POSSIBLE, "not_interested", "NOT INTERESTED")
    assert classify("stop by the store", revocation=REVOCATION).rule == "opt_out_word_in_message"
    assert classify("don't stop", revocation=REVOCATION).rule == "negated_opt_out"


def test_a_phrase_opt_out_records_the_phrase_or_the_fcc_word_it_starts_with_as_its_keyword():
    intent = classify("Please remove me from your list", revocation=REVOCATION)
    assert (intent.kind, intent.keyword, intent.rule) == (OPT_OUT, "REMOVE ME", "phrase")
    assert classify("quit texting me", revocation=REVOCATION).keyword == "QUIT"


def test_phrases_match_on_whole_words_not_substrings():
    assert classify("I removed me from the group", revocation=REVOCATION).kind != OPT_OUT
    assert classify("stopwatch", revocation=REVOCATION).kind == "other"


def test_a_phrase_added_to_the_file_is_an_opt_out(tmp_path):
    text = SHIPPED_FILE.read_text(encoding="utf-8").replace("phrases:\n", "phrases:\n  - enough already\n", 1)
    path = tmp_path / "revocation.yaml"
    path.write_text(text, encoding="utf-8")
    assert classify("Enough already!", revocation=load_revocation(path)).kind == OPT_OUT


@pytest.mark.parametrize("edit,named", [
    (lambda d: d.pop("words"), "words"),
    (lambda d: d.update(phrases="remove me"), "phrases"),
    (lambda d: d["phrases"].append("?!"), "phrases["),
    (lambda d: d["possible"][0].pop("why"), "possible[0].why"),
    (lambda d: d.update(short_message_words=0), "short_message_words"),
    (lambda d: d.update(colour="blue"), "colour"),
])
def test_a_broken_phrase_file_is_a_configuration_error_naming_the_file_and_key(tmp_path, edit, named):
    data = yaml.safe_load(SHIPPED_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "revocation.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RevocationConfigError) as failure:
        load_revocation(path)
    assert "revocation.yaml" in str(failure.value) and named in str(failure.value)


def test_a_phrase_file_that_is_not_yaml_or_missing_is_a_configuration_error(tmp_path):
    path = tmp_path / "revocation.yaml"
    path.write_text("words: [STOP\n", encoding="utf-8")
    with pytest.raises(RevocationConfigError, match="revocation.yaml: not valid YAML"):
        load_revocation(path)
    with pytest.raises(RevocationConfigError, match="no revocation phrase file"):
        load_revocation(tmp_path / "missing.yaml")


def test_the_shipped_phrase_file_is_read_from_the_policy_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("OPTLINE_POLICY_DIR", str(tmp_path))
    with pytest.raises(RevocationConfigError, match=re.escape(str(tmp_path / "revocation.yaml"))):
        load_revocation()
