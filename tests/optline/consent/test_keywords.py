"""Inbound keywords: each opt-out form, START/UNSTOP/YES, HELP, and list keywords."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optline.consent.keywords import OPT_IN_WORDS, OPT_OUT_WORDS, classify, words

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
