"""Settings: config.toml loaded into frozen dataclasses, overridden by the environment."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = ROOT / "config.toml"
DEFAULT_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me-0123456789"
ENV_PREFIX = "LSC_"
_PUBLIC_URL = re.compile(r"^https?://[^/\s?#@]+(/[^\s?#]*)?$")


class ConfigError(ValueError):
    """A setting is missing, unknown or out of range; the message names it."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1048576
    var_dir: str = "var"
    shutdown_timeout_s: float = 10.0
    backlog: int = 2048
    public_url: str = ""
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    trusted_proxies: tuple[str, ...] = ()
    metrics_token: str = ""
    public_docs: bool = False

    def __post_init__(self) -> None:
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(f"server.trusted_proxies: {proxy!r} is not an address or a network") from None
        _check(0 <= self.port <= 65535, "server.port must be between 0 and 65535")
        _check(not self.public_url or bool(_PUBLIC_URL.match(self.public_url)),
               "server.public_url must be empty or an http(s) URL without query, like https://shop.example.com")
        _check(self.max_body_bytes >= 1024, "server.max_body_bytes must be at least 1024")
        _check(self.shutdown_timeout_s >= 0, "server.shutdown_timeout_s must not be negative")
        _check(1 <= self.backlog <= 65535, "server.backlog must be between 1 and 65535")

    @property
    def var_path(self) -> Path:
        """The runtime folder as an absolute path (relative ones are taken from the repository root)."""
        path = Path(self.var_dir)
        return path if path.is_absolute() else ROOT / path


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = ""
    pool_min: int = 2
    pool_max: int = 10
    pool_timeout_s: float = 5.0
    command_timeout_s: float = 30.0
    # A streaming replica: catalog lists, a product, the feed and show lists read from it (empty: the primary).
    read_url: str = ""
    # A user who changed something reads from the primary for this long (longer than the replica ever lags).
    read_after_write_s: float = 5.0

    def __post_init__(self) -> None:
        _check(1 <= self.pool_min <= self.pool_max, "database.pool_min must be >= 1 and <= database.pool_max")
        _check(self.read_after_write_s >= 1, "database.read_after_write_s must be at least 1")
        _check(not self.read_url or self.read_url.startswith(("postgres://", "postgresql://")),
               "database.read_url must start with postgresql://")
        _check(self.command_timeout_s > 0, "database.command_timeout_s must be positive")
        _check(self.pool_timeout_s > 0, "database.pool_timeout_s must be positive")
        if self.url:
            _check(
                self.url.startswith(("postgres://", "postgresql://")),
                "database.url must start with postgresql://",
            )


@dataclass(frozen=True)
class RedisConfig:
    url: str = ""
    max_connections: int = 100
    pool_timeout_s: float = 5.0
    # The URL names one node of a Redis Cluster: sharded pub/sub for rooms, every key routed by its slot.
    cluster: bool = False

    def __post_init__(self) -> None:
        _check(self.max_connections >= 4, "redis.max_connections must be at least 4")
        _check(self.pool_timeout_s > 0, "redis.pool_timeout_s must be positive")
        if self.url:
            _check(
                self.url.startswith(("redis://", "rediss://", "unix://")),
                "redis.url must start with redis://, rediss:// or unix://",
            )


@dataclass(frozen=True)
class AuthConfig:
    jwt_secret: str = DEFAULT_JWT_SECRET
    access_ttl_s: int = 900
    refresh_ttl_s: int = 604800
    scrypt_n: int = 16384
    token_purge_interval_s: float = 3600.0
    login_attempts: int = 10
    login_window_s: int = 300
    login_address_attempts: int = 100

    def __post_init__(self) -> None:
        _check(len(self.jwt_secret.encode()) >= 32, "auth.jwt_secret must be at least 32 bytes")
        _check(self.access_ttl_s > 0 and self.refresh_ttl_s > 0, "auth token lifetimes must be positive")
        n = self.scrypt_n
        _check(n >= 1024 and n & (n - 1) == 0, "auth.scrypt_n must be a power of two, at least 1024")
        _check(self.login_attempts >= 1 and self.login_window_s >= 1 and self.login_address_attempts >= 1,
               "auth login limits must be positive")
        _check(self.token_purge_interval_s > 0, "auth.token_purge_interval_s must be positive")


@dataclass(frozen=True)
class CreditsConfig:
    verification_grant: int = 1
    block_s: int = 1800
    grace_s: int = 120
    meter_interval_s: float = 5.0

    def __post_init__(self) -> None:
        _check(self.verification_grant >= 0, "credits.verification_grant must not be negative")
        _check(self.block_s >= 1, "credits.block_s must be at least 1")
        _check(self.grace_s >= 0, "credits.grace_s must not be negative")
        _check(self.meter_interval_s > 0, "credits.meter_interval_s must be positive")


@dataclass(frozen=True)
class CommerceConfig:
    media_dir: str = ""
    max_image_bytes: int = 5242880
    max_images_per_product: int = 10
    list_count_cache_s: int = 60
    list_page_cache_s: float = 2.0
    order_payment_timeout_s: int = 900
    expiry_sweep_interval_s: float = 30.0
    commission_bps: int = 1000
    earnings_hold_s: int = 604800
    min_withdrawal: int = 100
    tax_label: str = "GST"
    tax_rate_bps: int = 1800
    platform_name: str = "Livestream Commerce"
    flash_hold_s: int = 600

    def __post_init__(self) -> None:
        _check(self.max_image_bytes >= 1024, "commerce.max_image_bytes must be at least 1024")
        _check(self.flash_hold_s >= 1, "commerce.flash_hold_s must be positive")
        _check(self.max_images_per_product >= 1, "commerce.max_images_per_product must be at least 1")
        _check(self.order_payment_timeout_s >= 1, "commerce.order_payment_timeout_s must be positive")
        _check(self.expiry_sweep_interval_s > 0, "commerce.expiry_sweep_interval_s must be positive")
        _check(0 <= self.commission_bps <= 10000, "commerce.commission_bps must be between 0 and 10000")
        _check(self.earnings_hold_s >= 0, "commerce.earnings_hold_s must not be negative")
        _check(self.min_withdrawal >= 1, "commerce.min_withdrawal must be at least 1")
        _check(0 <= self.tax_rate_bps <= 10000, "commerce.tax_rate_bps must be between 0 and 10000")


@dataclass(frozen=True)
class RazorpayConfig:
    key_id: str = "rzp_test_local0000000000"
    key_secret: str = "local-razorpay-key-secret-not-for-production"
    webhook_secret: str = "local-razorpay-webhook-secret-not-for-production"
    base_url: str = ""
    credit_price_paise: int = 10000
    max_credits_per_purchase: int = 1000

    def __post_init__(self) -> None:
        _check(bool(self.key_id and self.key_secret and self.webhook_secret), "razorpay keys must not be empty")
        _check(self.credit_price_paise >= 100, "razorpay.credit_price_paise must be at least 100 (INR 1)")
        _check(self.max_credits_per_purchase >= 1, "razorpay.max_credits_per_purchase must be at least 1")
        if self.base_url:
            _check(self.base_url.startswith(("http://", "https://")), "razorpay.base_url must be an http(s) URL")


@dataclass(frozen=True)
class MailConfig:
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    from_address: str = "no-reply@localhost"
    poll_interval_s: float = 2.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        _check(0 < self.smtp_port <= 65535, "mail.smtp_port must be between 1 and 65535")
        _check(self.poll_interval_s > 0, "mail.poll_interval_s must be positive")
        _check(self.max_attempts >= 1, "mail.max_attempts must be at least 1")
        _check("@" in self.from_address, "mail.from_address must be an e-mail address")


@dataclass(frozen=True)
class BiddingConfig:
    anti_snipe_s: int = 10
    min_duration_s: int = 5
    max_duration_s: int = 3600
    bid_rate: int = 10
    bid_window_s: int = 10
    sweep_interval_s: float = 0.5
    # A won item must be paid within this (checkout and pay); unpaid then, the win lapses.
    pay_within_s: int = 48 * 3600
    # How long a runner-up has to accept a second-chance offer of a lapsed win's item.
    second_chance_s: int = 24 * 3600

    def __post_init__(self) -> None:
        _check(self.anti_snipe_s >= 0, "bidding.anti_snipe_s must not be negative")
        _check(1 <= self.min_duration_s <= self.max_duration_s, "bidding durations must be 1 <= min <= max")
        _check(self.bid_rate >= 1 and self.bid_window_s >= 1, "bidding rate limits must be positive")
        _check(self.sweep_interval_s > 0, "bidding.sweep_interval_s must be positive")
        _check(1 <= self.pay_within_s <= 30 * 86400, "bidding.pay_within_s must be between 1 s and 30 days")
        _check(1 <= self.second_chance_s <= 30 * 86400, "bidding.second_chance_s must be between 1 s and 30 days")


@dataclass(frozen=True)
class AgoraConfig:
    app_id: str = "0123456789abcdef0123456789abcdef"
    app_certificate: str = "fedcba9876543210fedcba9876543210"
    token_ttl_s: int = 3600

    def __post_init__(self) -> None:
        _check(len(self.app_id) == 32 and len(self.app_certificate) == 32,
               "agora.app_id and agora.app_certificate must be 32-character hex strings")
        _check(60 <= self.token_ttl_s <= 86400, "agora.token_ttl_s must be between 60 and 86400")


@dataclass(frozen=True)
class RoomsConfig:
    history_size: int = 1000
    history_ttl_s: int = 86400
    send_queue_size: int = 256
    heartbeat_s: float = 30.0
    max_frame_bytes: int = 4096
    chat_rate: int = 5
    chat_window_s: int = 10
    hello_chat: int = 50
    notification_push_s: float = 0.5
    outbox_sweep_s: float = 1.0
    reactions: tuple[str, ...] = ("❤️", "🔥", "😂", "😮", "👏")
    reaction_flush_ms: int = 500
    reaction_rate: int = 20
    reaction_window_s: int = 10
    poll_update_s: float = 1.0

    def __post_init__(self) -> None:
        _check(self.poll_update_s > 0, "rooms.poll_update_s must be positive")
        _check(1 <= len(self.reactions) <= 20 and all(0 < len(r) <= 16 for r in self.reactions),
               "rooms.reactions must list 1 to 20 short emoji")
        _check(self.reaction_flush_ms >= 50, "rooms.reaction_flush_ms must be at least 50")
        _check(self.reaction_rate >= 1 and self.reaction_window_s >= 1, "rooms reaction limits must be positive")
        _check(self.notification_push_s > 0, "rooms.notification_push_s must be positive")
        _check(self.outbox_sweep_s > 0, "rooms.outbox_sweep_s must be positive")
        _check(self.history_size >= 1000, "rooms.history_size must be at least 1000")
        _check(self.history_ttl_s >= 60, "rooms.history_ttl_s must be at least 60")
        _check(self.send_queue_size >= 8, "rooms.send_queue_size must be at least 8")
        _check(self.heartbeat_s > 0, "rooms.heartbeat_s must be positive")
        _check(self.max_frame_bytes >= 256, "rooms.max_frame_bytes must be at least 256")
        _check(self.chat_rate >= 1 and self.chat_window_s >= 1, "rooms chat limits must be positive")
        _check(0 <= self.hello_chat <= 200, "rooms.hello_chat must be between 0 and 200")


@dataclass(frozen=True)
class SalesConfig:
    update_interval_s: float = 0.25
    sweep_interval_s: float = 1.0
    max_duration_s: int = 3600
    claim_limit: int = 100

    def __post_init__(self) -> None:
        _check(self.update_interval_s > 0, "sales.update_interval_s must be positive")
        _check(self.sweep_interval_s > 0, "sales.sweep_interval_s must be positive")
        _check(self.max_duration_s >= 10, "sales.max_duration_s must be at least 10")
        _check(self.claim_limit >= 1, "sales.claim_limit must be at least 1")


@dataclass(frozen=True)
class LivestreamsConfig:
    reminder_lead_s: int = 900
    reminder_sweep_s: float = 10.0
    timeline_s: float = 10.0

    def __post_init__(self) -> None:
        _check(0 <= self.reminder_lead_s <= 7 * 86400, "livestreams.reminder_lead_s must be between 0 and 7 days")
        _check(self.reminder_sweep_s > 0, "livestreams.reminder_sweep_s must be positive")
        _check(self.timeline_s >= 1, "livestreams.timeline_s must be at least 1")


@dataclass(frozen=True)
class FeedConfig:
    max_video_bytes: int = 104857600
    report_threshold: int = 3
    session_ttl_s: int = 1800
    candidates_per_source: int = 30
    profile_days: int = 90
    trend_window_s: int = 172800
    trend_interval_s: float = 60.0
    leaderboard_push_s: float = 1.0
    leaderboard_size: int = 50
    count_cache_s: int = 60
    profile_cache_s: float = 120.0
    render_cache_s: float = 2.0

    def __post_init__(self) -> None:
        _check(self.count_cache_s >= 0, "feed.count_cache_s must not be negative")
        _check(self.profile_cache_s >= 0, "feed.profile_cache_s must not be negative")
        _check(self.render_cache_s >= 0, "feed.render_cache_s must not be negative")
        _check(self.max_video_bytes >= 1024, "feed.max_video_bytes must be at least 1024")
        _check(self.report_threshold >= 1, "feed.report_threshold must be at least 1")
        _check(self.session_ttl_s >= 60, "feed.session_ttl_s must be at least 60")
        _check(5 <= self.candidates_per_source <= 200, "feed.candidates_per_source must be between 5 and 200")
        _check(self.profile_days >= 1, "feed.profile_days must be at least 1")
        _check(self.trend_window_s >= 60, "feed.trend_window_s must be at least 60")
        _check(self.trend_interval_s > 0, "feed.trend_interval_s must be positive")
        _check(self.leaderboard_push_s > 0, "feed.leaderboard_push_s must be positive")
        _check(1 <= self.leaderboard_size <= 100, "feed.leaderboard_size must be between 1 and 100")


@dataclass(frozen=True)
class ConsoleConfig:
    session_ttl_s: int = 43200
    page_size: int = 25

    def __post_init__(self) -> None:
        _check(self.session_ttl_s >= 60, "console.session_ttl_s must be at least 60")
        _check(5 <= self.page_size <= 100, "console.page_size must be between 5 and 100")


@dataclass(frozen=True)
class LogConfig:
    level: str = "INFO"
    format: str = "text"
    access_log: bool = True

    def __post_init__(self) -> None:
        _check(self.level in {"DEBUG", "INFO", "WARNING", "ERROR"}, "log.level must be DEBUG, INFO, WARNING or ERROR")
        _check(self.format in {"text", "json"}, 'log.format must be "text" or "json"')


@dataclass(frozen=True)
class Config:
    mode: str = "development"
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    credits: CreditsConfig = field(default_factory=CreditsConfig)
    commerce: CommerceConfig = field(default_factory=CommerceConfig)
    razorpay: RazorpayConfig = field(default_factory=RazorpayConfig)
    sales: SalesConfig = field(default_factory=SalesConfig)
    livestreams: LivestreamsConfig = field(default_factory=LivestreamsConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    bidding: BiddingConfig = field(default_factory=BiddingConfig)
    agora: AgoraConfig = field(default_factory=AgoraConfig)
    rooms: RoomsConfig = field(default_factory=RoomsConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    log: LogConfig = field(default_factory=LogConfig)

    def __post_init__(self) -> None:
        _check(self.mode in {"development", "production"}, 'mode must be "development" or "production"')
        if self.mode == "production":
            _check(
                self.auth.jwt_secret != DEFAULT_JWT_SECRET,
                "mode is production but auth.jwt_secret is the default: set LSC_AUTH_JWT_SECRET",
            )
            _check(
                bool(self.database.url) and bool(self.redis.url),
                "mode is production but database.url or redis.url is empty (embedded servers are for "
                "development): set LSC_DATABASE_URL and LSC_REDIS_URL",
            )
            _check(
                bool(self.razorpay.base_url) and self.razorpay.key_secret != RazorpayConfig.key_secret
                and self.razorpay.webhook_secret != RazorpayConfig.webhook_secret,
                "mode is production but Razorpay is the local stand-in: set LSC_RAZORPAY_BASE_URL, "
                "LSC_RAZORPAY_KEY_ID, LSC_RAZORPAY_KEY_SECRET and LSC_RAZORPAY_WEBHOOK_SECRET",
            )
            _check(
                bool(self.server.public_url),
                "mode is production but server.public_url is empty (links in answers would name whatever "
                "address a request came in on): set LSC_SERVER_PUBLIC_URL",
            )

    def replace(self, **sections: Mapping[str, Any]) -> Config:
        """Return a copy with some keys of some sections changed, e.g. replace(database={"url": u})."""
        changes: dict[str, Any] = {}
        for name, values in sections.items():
            if name == "mode":
                changes["mode"] = values
            else:
                changes[name] = dataclasses.replace(getattr(self, name), **values)
        return dataclasses.replace(self, **changes)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Load the defaults file, an optional LSC_CONFIG file, the environment, then overrides."""
    env = os.environ if env is None else env
    data = _read_toml(path or DEFAULT_CONFIG_FILE)
    extra = env.get(ENV_PREFIX + "CONFIG")
    if extra:
        _merge(data, _read_toml(Path(extra)))
    _merge(data, _from_env(env))
    if overrides:
        _merge(data, {k: dict(v) if isinstance(v, Mapping) else v for k, v in overrides.items()})
    return _build(data)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            base[key].update(value)
        else:
            base[key] = value


def _sections() -> dict[str, type[Any]]:
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config) if f.name != "mode"}


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Collect LSC_<SECTION>_<KEY> variables, converted to the type of the key they set."""
    out: dict[str, Any] = {}
    if ENV_PREFIX + "MODE" in env:
        out["mode"] = env[ENV_PREFIX + "MODE"]
    for section, cls in _sections().items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            name = f"{ENV_PREFIX}{section}_{f.name}".upper()
            if name in env:
                out.setdefault(section, {})[f.name] = _convert(name, env[name], hints[f.name])
    return out


def _convert(name: str, raw: str, kind: Any) -> Any:
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return lowered in {"1", "true", "yes", "on"}
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind == tuple[str, ...]:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}") from None
    return raw


def _build(data: Mapping[str, Any]) -> Config:
    sections = _sections()
    unknown = set(data) - set(sections) - {"mode"}
    if unknown:
        raise ConfigError(f"unknown config section or key: {', '.join(sorted(unknown))}")
    built: dict[str, Any] = {}
    if "mode" in data:
        built["mode"] = data["mode"]
    for section, cls in sections.items():
        values = dict(data.get(section, {}))
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}
        for key in set(values) - known:
            raise ConfigError(f"unknown config key: {section}.{key}")
        for key, value in values.items():
            values[key] = _coerce(f"{section}.{key}", value, hints[key])
        built[section] = cls(**values)
    return Config(**built)


def _coerce(name: str, value: Any, kind: Any) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in (int, float, str, bool) and (type(value) is not kind):
        raise ConfigError(f"{name} must be a {kind.__name__}, got {value!r}")
    if kind == tuple[str, ...]:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} must be a list of strings, got {value!r}")
        return tuple(value)
    return value


def media_path(config: Config) -> Path:
    """The folder for uploads: commerce.media_dir, or <var_dir>/media."""
    return Path(config.commerce.media_dir) if config.commerce.media_dir else config.server.var_path / "media"
