"""The layer contracts cover every module, and import-linter finds them kept (make lint runs it too)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from server.config import ROOT

PACKAGES = ("server", "rooms", "bidding", "commerce", "feed")


def contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((Path(ROOT) / "pyproject.toml").read_text())
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def layer_of(module: str, layers: list[str]) -> int | None:
    """The index of the layer that holds module (a layer entry holds itself and its descendants)."""
    for index, layer in enumerate(layers):
        for entry in layer.replace("|", ":").split(":"):
            name = entry.strip()
            if module == name or module.startswith(name + "."):
                return index
    return None


def every_module() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in (Path(ROOT) / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if len(parts) > 1:  # the root packages' own __init__ hold nothing
                found.append(".".join(parts))
    return sorted(found)


def test_every_module_is_in_exactly_one_layer() -> None:
    layers = contracts()["layers"]["layers"]
    assert isinstance(layers, list)
    missing = [m for m in every_module() if layer_of(m, layers) is None]
    assert missing == [], f"add these modules to a layer in pyproject.toml: {missing}"


def test_the_layers_run_from_the_app_shell_down_to_the_kernel() -> None:
    layers = contracts()["layers"]["layers"]
    assert isinstance(layers, list)
    order = [layer_of(m, layers) for m in ("server.app", "server.console.web", "bidding.service",
                                           "rooms.gateway", "server.credits.store", "server.config")]
    assert order == sorted(order) and len(set(order)) == 6


def test_import_linter_keeps_every_contract() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 broken" in result.stdout
