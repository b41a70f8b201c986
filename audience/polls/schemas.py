"""Request and response shapes of polls."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PollIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    options: Annotated[list[Option], Field(min_length=2, max_length=4)]
    duration_s: Annotated[int, Field(ge=10, le=3600)]


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    option: Annotated[int, Field(ge=0, le=3, description="The option's index in `options` (from 0).")]


class PollOut(BaseModel):
    id: int
    livestream: int
    question: str
    options: list[str]
    counts: list[int] = Field(description="Votes for each option (so far, while open).")
    status: Literal["open", "closed"]
    ends_at: datetime
    my_vote: int | None = Field(None, description="Your vote's option, shown only to you.")


class VotedOut(BaseModel):
    poll: int
    option: int
