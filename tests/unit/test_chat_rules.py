"""Chat rules: what a message becomes, which words are blocked, how blocked words are stored."""

from __future__ import annotations

import pytest

from rooms.chat.rules import MAX_CHARS, blocked_word_in, clean_text, normalize_words
from server.errors import InvalidInput


def test_text_is_trimmed_and_loses_control_characters_but_keeps_newlines() -> None:
    assert clean_text("  Namaste!\x07  ") == "Namaste!"
    assert clean_text("line one\nline two") == "line one\nline two"


@pytest.mark.parametrize("text", ["", "   ", "\x01\x02", None, 42, ["hi"]])
def test_empty_or_non_text_messages_are_refused(text: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_text(text)
    assert "text" in caught.value.fields


def test_the_limit_counts_characters_after_cleaning() -> None:
    assert clean_text(" " + "x" * MAX_CHARS + " ") == "x" * MAX_CHARS
    with pytest.raises(InvalidInput, match="longer than 500"):
        clean_text("x" * (MAX_CHARS + 1))


def test_a_blocked_word_matches_whole_words_in_any_case() -> None:
    assert blocked_word_in("What a SCAM this is", ["scam"]) == "scam"
    assert blocked_word_in("scammer", ["scam"]) is None
    assert blocked_word_in("a scam.", ["", "scam"]) == "scam"
    assert blocked_word_in("nothing here", []) is None


def test_blocked_words_with_symbols_are_matched_literally() -> None:
    assert blocked_word_in("buy c++ now", ["c++"]) == "c++"
    assert blocked_word_in("buy cpp now", ["c++"]) is None


def test_blocked_words_are_stored_trimmed_lowercased_unique_and_sorted() -> None:
    assert normalize_words([" Scam ", "scam", "", "  ", "Fake"]) == ["fake", "scam"]
