"""Request and response shapes of the accounts API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from server.api import PageQuery
from server.urls import PublicUrl

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_PHONE = re.compile(r"^\+?[0-9]{7,15}$")
# 2 digits state code, PAN (5 letters, 4 digits, 1 letter), entity number, 'Z', check character.
_GSTIN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("Enter a valid e-mail address, like name@example.com.")
    return value


def _phone(value: str) -> str:
    compact = re.sub(r"[\s()-]", "", value)
    if not _PHONE.match(compact):
        raise ValueError("Enter a phone number of 7 to 15 digits, optionally starting with +.")
    return compact


def _gstin(value: str) -> str:
    value = value.upper()
    if not _GSTIN.match(value):
        raise ValueError("Enter a 15-character GSTIN, like 27AAPFU0939F1ZV.")
    return value


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://", "/media/")):
        raise ValueError("Enter an http(s) URL or a /media/ path.")
    return value


Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=30, pattern=r"^[A-Za-z0-9_.-]+$"),
    Field(description="3 to 30 letters, digits, '_', '.' or '-'; unique whatever the case."),
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128), Field(description="8 to 128 characters.")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]
Gstin = Annotated[str, StringConstraints(strip_whitespace=True, max_length=15), AfterValidator(_gstin)]
BusinessName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_url)]


class _In(BaseModel):
    # Clients of the replaced API send extra keys (a password confirmation, say): ignore them.
    model_config = ConfigDict(extra="ignore")


class RegisterBuyer(_In):
    username: Username
    email: Email
    password: Password
    phone: Phone | None = None


class RegisterSeller(RegisterBuyer):
    business_name: BusinessName
    gstin: Gstin | None = None


class RegisterIn(RegisterBuyer):
    """The e-commerce and social apps' sign-up: one path for both roles ("customer" is a buyer)."""

    role: Literal["customer", "buyer", "seller"] = "customer"
    business_name: BusinessName | None = Field(None, validate_default=True)
    gstin: Gstin | None = None

    @field_validator("business_name")
    @classmethod
    def seller_has_a_business(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("role") == "seller":
            raise ValueError("A seller needs a business_name.")
        return value

    def as_role(self) -> tuple[RegisterBuyer, str]:
        """The registration as the buyer or the seller it is, with our role name."""
        if self.role == "seller" and self.business_name is not None:  # the validator required it
            return RegisterSeller(username=self.username, email=self.email, password=self.password,
                                  phone=self.phone, business_name=self.business_name, gstin=self.gstin), "seller"
        return RegisterBuyer(username=self.username, email=self.email, password=self.password,
                             phone=self.phone), "buyer"


class LoginIn(_In):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)] = Field(
        description="The username or the e-mail address."
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RefreshIn(_In):
    refresh: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4096)]


class ProfileUpdate(_In):
    """Only the keys sent change; null clears phone, avatar or gstin."""

    email: Email | None = None
    phone: Phone | None = None
    avatar: Url | None = None
    bio: Annotated[str, StringConstraints(max_length=1000)] | None = None
    business_name: BusinessName | None = None
    gstin: Gstin | None = None
    current_password: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        None, description="Required with new_password."
    )
    new_password: Password | None = None


class UserSearch(PageQuery):
    search: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class SellerOut(BaseModel):
    business_name: str
    gstin: str | None
    verified: bool
    credits: int


class UserOut(BaseModel):
    """The signed-in user's own profile."""

    id: int
    username: str
    email: str
    role: str
    phone: str | None
    avatar: PublicUrl | None
    bio: str
    created_at: datetime
    seller: SellerOut | None


class PublicSellerOut(BaseModel):
    business_name: str
    verified: bool


class PublicUserOut(BaseModel):
    """What anyone signed in may see of a user."""

    id: int
    username: str
    role: str
    avatar: PublicUrl | None
    bio: str
    seller: PublicSellerOut | None


class TokensOut(BaseModel):
    access: str
    refresh: str


class AuthOut(BaseModel):
    user: UserOut
    access: str
    refresh: str
