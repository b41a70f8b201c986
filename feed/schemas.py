"""Request and response shapes of the reels, social, wishlist and leaderboard APIs."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from server.api import PageQuery
from server.money import Money
from server.urls import PublicUrl

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
ContentType = Literal["VIDEO", "IMAGE", "COLLECTION"]
ReportReason = Literal["spam", "inappropriate", "harassment", "misleading", "other"]
Occasion = Literal["birthday", "anniversary", "festival", "wedding", "baby_shower", "housewarming", "other"]
MAX_TAGS = 20
MAX_PRODUCTS = 10
_TAG = re.compile(r"^[\w-]{1,50}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_.]{3,30}$")


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


def clean_tags(value: Any) -> list[str]:
    """Tags from a list or a comma-separated string: '#' dropped, lower case, no duplicates, checked."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("Send tags as a list or a comma-separated string.")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError("Each tag must be text.")
        tag = item.strip().lstrip("#").lower()
        if not tag:
            continue
        if not _TAG.match(tag):
            raise ValueError(f"'{item.strip()}' is not a tag: use letters, digits, '_' or '-', at most 50.")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags.")
    return out


class VideoIn(_In):
    """An upload's fields (the files come as video_file and image_file parts of the same form)."""

    content_type: ContentType
    title: Title
    description: LongText = ""
    category: Id | None = None
    product: Id | None = Field(None, validation_alias=AliasChoices("product", "product_id"),
                               description="The reel's product (the app sends it as product_id).")
    additional_products: list[Id] = Field(default_factory=list, max_length=MAX_PRODUCTS)
    tags: list[str] = Field(default_factory=list)

    _tags = field_validator("tags", mode="before")(clean_tags)


class VideoPatch(_In):
    title: Title | None = None
    description: LongText | None = None
    category: Id | None = None
    product: Id | None = None
    additional_products: list[Id] | None = Field(None, max_length=MAX_PRODUCTS)
    tags: list[str] | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> list[str] | None:
        return None if value is None else clean_tags(value)


class ItemIn(_In):
    product: Id | None = Field(None, validation_alias=AliasChoices("product", "product_id"))
    caption: ShortText = ""
    order: int | None = Field(None, ge=1, le=1000, description="Its place among the slides (the app's `order`); "
                                                               "the ones from there move down. Default: last.")


class FeedQuery(PageQuery):
    category: Id | None = None


class LimitQuery(_In):
    limit: int = Field(20, ge=1, le=50)


class TrackIn(_In):
    event_type: Literal["watch_time", "cta_click", "scroll_pause"]
    dwell_time: float = Field(0.0, ge=0, le=86400, description="Seconds.")
    extra_data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("extra_data")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(repr(value)) > 2000:
            raise ValueError("extra_data is limited to about 2000 characters.")
        return value


class AddToCartIn(_In):
    product_id: Id | None = None
    quantity: int = Field(1, ge=1, le=100)


class CommentIn(_In):
    video: Id
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    parent: Id | None = None


class CommentQuery(PageQuery):
    video_id: Id


class ReportIn(_In):
    video: Id
    reason: ReportReason
    description: LongText = ""


class ReviewIn(_In):
    action: Literal["hide", "keep"]


class FollowIn(_In):
    following_id: Id


class FollowQuery(PageQuery):
    user_id: Id | None = Field(None, description="List the users following this user (the seed app's meaning).")
    following_of: Id | None = Field(None, description="List the users this user follows.")


class CreatorQuery(PageQuery):
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    video_category: Id | None = None
    category: Id | None = None


class CreatorPatch(_In):
    handle: str | None = None
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    bio: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    social_links: dict[str, str] | None = None

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        if value is not None and not _HANDLE.match(value.strip()):
            raise ValueError("A handle has 3 to 30 letters, digits, '_' or '.'.")
        return None if value is None else value.strip()

    @field_validator("social_links")
    @classmethod
    def _links(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        if len(value) > 10:
            raise ValueError("At most 10 links.")
        for name, url in value.items():
            if not re.match(r"^[a-z0-9_]{1,30}$", name):
                raise ValueError(f"'{name}' is not a link name: lower-case letters, digits or '_'.")
            if not re.match(r"^https?://[^\s]{1,300}$", url):
                raise ValueError(f"The {name} link must be an http(s) URL.")
        return value


Emoji = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]


class VideoCategoryIn(_In):
    """A new category; its icon image is uploaded apart (POST .../{id}/icon/)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    slug: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9-]{1,60}$")] | None = None
    description: ShortText = ""
    emoji: Emoji = ""
    order: Annotated[int, Field(ge=0, le=10_000)] = 0
    is_active: bool = True


class VideoCategoryPatch(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    description: ShortText | None = None
    emoji: Emoji | None = None
    order: Annotated[int, Field(ge=0, le=10_000)] | None = None
    is_active: bool | None = None


# ---- responses ----

class VideoCategoryOut(BaseModel):
    id: int
    name: str
    slug: str
    description: str
    icon: PublicUrl | None = Field(description="The URL of its uploaded icon image, if any.")
    emoji: str
    order: int = Field(description="Lists show categories by this, then by name.")
    is_active: bool = Field(description="Inactive categories are left out of lists.")


class ProductBrief(BaseModel):
    id: int
    name: str
    price: Money
    image: PublicUrl | None
    seller: int
    stock: int
    is_active: bool


class CreatorBrief(BaseModel):
    id: int
    username: str
    handle: str
    display_name: str
    avatar: PublicUrl | None
    followers_count: int


class CreatorOut(CreatorBrief):
    bio: str
    social_links: dict[str, str]
    following_count: int
    posts_count: int
    is_following: bool
    created_at: datetime
    # The shoppable-videos app's names for the same things, and what it shows besides.
    user: int = Field(description="The creator's user id (the same as id).")
    follower_count: int = Field(description="The same as followers_count.")
    views_count: int = Field(description="Views of the creator's active reels.")
    uploader_profile_url: PublicUrl = Field(description="The creator's profile in this API.")


class VideoItemOut(BaseModel):
    id: int
    position: int
    image_file: PublicUrl | None
    video_file: PublicUrl | None
    product: ProductBrief | None
    caption: str


class VideoOut(BaseModel):
    id: int
    content_type: ContentType
    category: int | None
    category_details: VideoCategoryOut | None
    title: str
    description: str
    video_file: PublicUrl | None
    image_file: PublicUrl | None
    items: list[VideoItemOut]
    product: ProductBrief | None
    additional_products: list[ProductBrief]
    tags: list[str]
    likes_count: int
    views_count: int
    shares_count: int
    saves_count: int
    comments_count: int
    is_liked: bool
    is_saved: bool
    trend_score: float
    creator: CreatorBrief
    status: str
    created_at: datetime


class FeedItemOut(VideoOut):
    feed_source: str = Field(description="Which part of the mix chose it: personalized, trending or discovery; "
                                         "repeat once every reel was shown in this session.")


class LikeOut(BaseModel):
    liked: bool
    likes_count: int


class SaveOut(BaseModel):
    saved: bool
    saves_count: int


class AddToCartOut(BaseModel):
    status: str
    message: str
    cart_item_count: int


class UserBrief(BaseModel):
    id: int
    username: str


class CommentOut(BaseModel):
    id: int
    video: int
    user: UserBrief
    text: str
    parent: int | None
    replies: list[CommentOut] = Field(default_factory=list)
    replies_count: int = 0
    created_at: datetime


class ReportOut(BaseModel):
    id: int
    video: int
    reason: str
    description: str
    status: str
    created_at: datetime


class FollowOut(BaseModel):
    following: bool
    followers_count: int


class LeaderboardRow(BaseModel):
    rank: int
    video: VideoOut
    likes: int


# ---- wishlists, swipe, friends ----

class WishlistIn(_In):
    name: Title
    occasion: Occasion = "other"
    event_date: date | None = None


class WishlistPatch(_In):
    name: Title | None = None
    occasion: Occasion | None = None
    event_date: date | None = None


class WishlistItemIn(_In):
    product_id: Id
    note: ShortText | None = Field(None, description="Left as it was when not sent (a new item gets none).")


class ShareIn(_In):
    user_id: Id | None = None
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)] | None = None
    can_edit: bool = False


class WishlistItemOut(BaseModel):
    product: ProductBrief
    note: str
    added_by: int | None
    added_at: datetime


class ShareOut(BaseModel):
    user: UserBrief
    can_edit: bool


class WishlistOut(BaseModel):
    id: int
    owner: UserBrief
    name: str
    occasion: str
    event_date: date | None
    is_default: bool
    items: list[WishlistItemOut]
    shared_with: list[ShareOut]
    can_edit: bool
    created_at: datetime


class SwipeIn(_In):
    product_id: Id
    direction: Literal["left", "right"]
    wishlist_id: Id | None = None


class SwipeOut(BaseModel):
    product_id: int
    direction: str
    wishlist_id: int | None


class DeckQuery(_In):
    limit: int = Field(20, ge=1, le=50)


class FriendRequestIn(_In):
    user_id: Id


class FriendAnswerIn(_In):
    action: Literal["accept", "reject"]


class FriendRequestOut(BaseModel):
    id: int
    sender: UserBrief
    receiver: UserBrief
    status: str
    created_at: datetime
    decided_at: datetime | None


class FriendOut(BaseModel):
    id: int
    username: str
    avatar: PublicUrl | None
    online: bool
    since: datetime


class LeaderboardQuery(_In):
    week: str | None = None
    limit: int = Field(50, ge=1, le=100)
