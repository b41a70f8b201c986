"""Chat rules as plain functions over plain data."""

from __future__ import annotations

import re
from collections.abc import Iterable

from server.errors import InvalidInput

MAX_CHARS = 500


def clean_text(text: object) -> str:
    """The message as it will be shown: trimmed, 1 to 500 characters, no control characters."""
    if not isinstance(text, str):
        raise InvalidInput("The message must be text.", fields={"text": ["This field must be text."]})
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text).strip()
    if not cleaned:
        raise InvalidInput("The message is empty.", fields={"text": ["Write 1 to 500 characters."]})
    if len(cleaned) > MAX_CHARS:
        raise InvalidInput(f"The message is longer than {MAX_CHARS} characters.",
                           fields={"text": [f"At most {MAX_CHARS} characters."]})
    return cleaned


def blocked_word_in(text: str, blocked: Iterable[str]) -> str | None:
    """The first blocked word the text contains as a whole word, whatever the case."""
    lowered = text.casefold()
    for word in blocked:
        if word and re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", lowered):
            return word
    return None


def normalize_words(words: Iterable[str]) -> list[str]:
    """Blocked words as stored: trimmed, lower-cased, unique, non-empty."""
    return sorted({w.strip().casefold() for w in words if w.strip()})
