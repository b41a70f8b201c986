"""make fuzz: schemathesis over the server's own OpenAPI document, as a buyer, a seller and an admin, for a
bounded time each. Fails on any 500, any response that does not match the document, and any status the document
does not declare. The server (with the demo data) and its embedded PostgreSQL and Valkey run under var/fuzz.

    .venv/bin/python -u loadtest/fuzz.py [--seconds-per-role 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = {"buyer": ("buyer1", "buyer123"), "seller": ("seller1", "seller123"), "admin": ("admin", "admin123")}
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(base: str, username: str, password: str) -> str:
    request = urllib.request.Request(f"{base}/api/auth/login/", method="POST",
                                     data=json.dumps({"username": username, "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return str(json.load(resp)["access"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-per-role", type=int, default=60)
    args = parser.parse_args()
    var, port = ROOT / "var" / "fuzz", free_port()
    shutil.rmtree(var, ignore_errors=True)  # a fresh database and Valkey every run
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSC_")}
    env.update({"LSC_SERVER_VAR_DIR": str(var), "LSC_SERVER_PORT": str(port), "LSC_LOG_ACCESS_LOG": "false",
                "LSC_LOG_LEVEL": "WARNING", "LSC_AUTH_SCRYPT_N": "1024"})
    var.mkdir(parents=True, exist_ok=True)
    log = (var / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "server", "run", "--migrate", "--seed-demo"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    failed: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                print("the server did not start; see var/fuzz/server.log")
                return 2
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        # Every token first: the fuzzing of /api/auth/login/ soon uses up this address's sign-in attempts.
        tokens = {role: token(base, username, password) for role, (username, password) in ROLES.items()}
        for role, bearer in tokens.items():
            print(f"== as {role} ({args.seconds_per_role} s)", flush=True)
            run = subprocess.run(
                [str(Path(sys.executable).parent / "st"), "run", f"{base}/api/openapi.json",
                 "-H", f"Authorization: Bearer {bearer}", "--checks", CHECKS,
                 "--max-time", str(args.seconds_per_role), "--workers", "2", "--suppress-health-check", "all",
                 "--generation-deterministic"],
                cwd=var, capture_output=True, text=True, timeout=args.seconds_per_role * 3 + 120)  # its files go there
            summary = run.stdout[run.stdout.rfind("SUMMARY"):] if "SUMMARY" in run.stdout else run.stdout[-3000:]
            print(summary.strip(), flush=True)
            (var / f"schemathesis-{role}.txt").write_text(run.stdout + run.stderr)
            # Findings about the server fail the run; an error inside schemathesis itself (a "Runtime Error" of
            # its generator) only warns, as long as every test case it ran passed.
            if run.returncode != 0 and ("Failures:" in summary or " passed" not in summary):
                failed.append(role)
            elif run.returncode != 0:
                print(f"(schemathesis reported an error of its own as {role}; every case it ran passed)")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    if failed:
        print(f"FAILED as {', '.join(failed)}: the full reports are in var/fuzz/schemathesis-<role>.txt")
        return 1
    print("no server error, no response off the document, no undocumented status")
    return 0


if __name__ == "__main__":
    sys.exit(main())
