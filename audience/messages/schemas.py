"""Request and response shapes of direct messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.api import PageQuery

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    to: Id = Field(description="The recipient's user id.")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    order_id: Id | None = Field(None, description="An order between you two that the message is about.")


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_id: Id


class ThreadQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    before: Id | None = Field(None, description="Only messages older than this one (the next page).")
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class Person(BaseModel):
    id: int
    username: str


class MessageOut(BaseModel):
    id: int
    sender: Person
    recipient: Person
    text: str
    order_id: int | None
    created_at: datetime
    read: bool


class ThreadOut(BaseModel):
    user: Person = Field(description="The other person.")
    last_message: MessageOut
    unread: int = Field(description="Messages from them you have not read.")


class ReadOut(BaseModel):
    marked: int


class BlocksOut(BaseModel):
    blocked: list[int]


class ThreadsQuery(PageQuery):
    pass
