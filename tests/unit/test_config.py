"""Configuration: every key documented, environment overrides, validation and production guards."""

from __future__ import annotations

import dataclasses
import re

import pytest

from server.config import DEFAULT_CONFIG_FILE, DEFAULT_JWT_SECRET, Config, ConfigError, load_config


def test_defaults_load() -> None:
    config = load_config(env={})
    assert config == Config()  # the file and the dataclass defaults agree
    assert config.mode == "development" and config.server.port == 8080


def test_every_key_is_in_the_file_with_a_comment() -> None:
    lines = DEFAULT_CONFIG_FILE.read_text().splitlines()
    section, seen = "", set()
    for i, line in enumerate(lines):
        if m := re.match(r"^\[(\w+)\]$", line):
            section = m.group(1)
        elif m := re.match(r"^(\w+)\s*=", line):
            key = f"{section}.{m.group(1)}" if section else m.group(1)
            above = lines[i - 1].strip()
            assert above.startswith("#") or re.match(r"^\w+\s*=", above), f"{key} has no comment above it"
            seen.add(key)
    expected = {"mode"} | {
        f"{f.name}.{g.name}"
        for f in dataclasses.fields(Config) if f.name != "mode"
        for g in dataclasses.fields(f.default_factory())  # type: ignore[misc]
    }
    assert seen == expected


def test_environment_overrides_with_types() -> None:
    config = load_config(env={
        "LSC_SERVER_PORT": "9090", "LSC_LOG_ACCESS_LOG": "false", "LSC_DATABASE_URL": "postgresql://db/x",
        "LSC_SERVER_SHUTDOWN_TIMEOUT_S": "2.5", "LSC_MODE": "development",
    })
    assert config.server.port == 9090 and config.log.access_log is False
    assert config.database.url == "postgresql://db/x" and config.server.shutdown_timeout_s == 2.5


@pytest.mark.parametrize("env,fragment", [
    ({"LSC_SERVER_PORT": "eighty"}, "LSC_SERVER_PORT"),
    ({"LSC_LOG_ACCESS_LOG": "maybe"}, "LSC_LOG_ACCESS_LOG"),
    ({"LSC_SERVER_PORT": "70000"}, "server.port"),
    ({"LSC_AUTH_JWT_SECRET": "short"}, "jwt_secret"),
    ({"LSC_AUTH_SCRYPT_N": "1000"}, "scrypt_n"),
    ({"LSC_DATABASE_URL": "mysql://x"}, "database.url"),
    ({"LSC_LOG_FORMAT": "xml"}, "log.format"),
    ({"LSC_MODE": "staging"}, "mode"),
    ({"LSC_SERVER_PUBLIC_URL": "shop.example.com"}, "server.public_url"),
    ({"LSC_SERVER_PUBLIC_URL": "https://shop.example.com/?next=1"}, "server.public_url"),
])
def test_bad_values_are_refused_with_their_name(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_config(env=env)


def test_lists_come_from_toml_arrays_or_comma_separated_variables(tmp_path) -> None:
    assert load_config(env={"LSC_SERVER_ALLOWED_HOSTS": "localhost, 192.168.1.5"}).server.allowed_hosts == (
        "localhost", "192.168.1.5")
    extra = tmp_path / "site.toml"
    extra.write_text('[server]\nallowed_hosts = ["shop.local"]\n')
    assert load_config(env={"LSC_CONFIG": str(extra)}).server.allowed_hosts == ("shop.local",)
    extra.write_text('[server]\nallowed_hosts = "shop.local"\n')
    with pytest.raises(ConfigError, match=r"server\.allowed_hosts must be a list of strings"):
        load_config(env={"LSC_CONFIG": str(extra)})


def test_unknown_keys_in_a_config_file_are_refused(tmp_path) -> None:
    extra = tmp_path / "site.toml"
    extra.write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigError, match=r"server\.prot"):
        load_config(env={"LSC_CONFIG": str(extra)})
    extra.write_text("[srever]\nport = 1\n")
    with pytest.raises(ConfigError, match="srever"):
        load_config(env={"LSC_CONFIG": str(extra)})


def test_a_site_file_is_laid_over_the_defaults(tmp_path) -> None:
    extra = tmp_path / "site.toml"
    extra.write_text('[server]\nport = 9000\n[log]\nformat = "json"\n')
    config = load_config(env={"LSC_CONFIG": str(extra), "LSC_SERVER_PORT": "9001"})
    assert config.server.port == 9001 and config.log.format == "json" and config.server.host == "127.0.0.1"


def test_production_refuses_the_default_secret_and_embedded_services() -> None:
    urls = {"LSC_DATABASE_URL": "postgresql://db/x", "LSC_REDIS_URL": "redis://cache:6379"}
    with pytest.raises(ConfigError, match="jwt_secret"):
        load_config(env={"LSC_MODE": "production", **urls})
    secret = {"LSC_AUTH_JWT_SECRET": "p" * 40}
    with pytest.raises(ConfigError, match="embedded"):
        load_config(env={"LSC_MODE": "production", **secret})
    with pytest.raises(ConfigError, match="Razorpay is the local stand-in"):
        load_config(env={"LSC_MODE": "production", **secret, **urls})
    razorpay = {"LSC_RAZORPAY_BASE_URL": "https://api.razorpay.com", "LSC_RAZORPAY_KEY_SECRET": "k" * 24,
                "LSC_RAZORPAY_WEBHOOK_SECRET": "w" * 24}
    with pytest.raises(ConfigError, match=r"server\.public_url is empty"):
        load_config(env={"LSC_MODE": "production", **secret, **urls, **razorpay})
    public = {"LSC_SERVER_PUBLIC_URL": "https://shop.example.com"}
    config = load_config(env={"LSC_MODE": "production", **secret, **urls, **razorpay, **public})
    assert config.auth.jwt_secret != DEFAULT_JWT_SECRET
