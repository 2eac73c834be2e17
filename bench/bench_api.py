"""The API under load beside its floor, on PostgreSQL with 100,000 and 1,000,000 tickets (speed issue, R12.2).

Run:  .venv/bin/python bench/bench_api.py [--tickets 100000,1000000] [--seconds 8] [--repeat 1]
      [--only list,queue,detail,create] [--connections 8]

For each data size a database of its own (pd_speed_100k, pd_speed_1m; ``BENCH_DATABASE_PREFIX`` changes
"postgres://postgres@127.0.0.1:5432/pd_speed_") is built once by bench_data.py (INSERT ... SELECT in
PostgreSQL, seconds) and reused. Two gunicorn servers with 2 sync workers each run side by side:
partnerdesk (partnerdesk.wsgi, DEBUG off, CONN_MAX_AGE 3600) and the floor (bench/floor_app.py: the same
statements with psycopg, no Django). wrk (8 connections, 2 threads) loads each request on one server, then
on the other, alternating, so both see the same noise; before timing, each request's answer is fetched from
both and compared byte for byte (create: after taking out the id and the times). Prints req/s, p50/p95 and
the ratio partnerdesk/floor. Targets (speed issue): list and queue ratio >= 0.5; create >= 300 req/s with
p95 < 50 ms at 1,000,000 tickets. Not a test: exit code 0 whatever the figures, 2 on errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SRC = BENCH.parent / "src"
sys.path.insert(0, str(BENCH))

import bench_data  # noqa: E402

PREFIX = os.environ.get("BENCH_DATABASE_PREFIX", "postgres://postgres@127.0.0.1:5432/pd_speed_")
SIZES = {100_000: "100k", 1_000_000: "1m", 1_000: "1k"}
QUEUE = "state=escalated&state=third_level&ordering=due"

WRK_SCRIPT = """
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")
if body and #body > 0 then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local bad = 0
response = function(status, headers, body)
  if status >= 300 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), bad, summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout + summary.errors.status))
end
"""


@dataclass
class Case:
    key: str
    label: str
    method: str
    path: str
    token: str
    body: str = ""
    runs: dict[str, list[tuple[float, float, float]]] = field(default_factory=lambda: {"app": [], "floor": []})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, app: str, url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FLOOR_DATABASE_URL": url,
        "DEBUG": "false",
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "3600"),
        "PYTHONPATH": str(SRC),
        "PARTNERDESK_DATA_DIR": os.environ.get("PARTNERDESK_DATA_DIR", str(Path(tempfile.gettempdir()) / "pd-bench")),
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    command = [gunicorn, app, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--chdir", str(BENCH)]
    command += ["--log-level", "warning", "--keep-alive", "30", "--backlog", "256"]
    return subprocess.Popen(  # noqa: S603 (our own command line)
        command,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_up(port: int, token: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            fetch(port, "GET", "/api/v1/tickets?limit=1", token)
            return
        except OSError:
            time.sleep(0.2)
    raise bench_data.bt.BenchError(f"server on port {port} did not start")


def fetch(port: int, method: str, path: str, token: str, body: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body.encode() if body else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def comparable(case: Case, body: bytes) -> bytes:
    """Create answers differ in the new id and the times: those are taken out; the rest must match."""
    if case.method != "POST":
        return body
    data = json.loads(body)
    for key in ("id", "created_at"):
        data.pop(key, None)
    return json.dumps(data).encode()


def wrk(port: int, case: Case, seconds: float, connections: int, script: Path) -> tuple[float, float, float]:
    env = {**os.environ, "BENCH_TOKEN": case.token, "BENCH_METHOD": case.method, "BENCH_BODY": case.body}
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{case.path}",
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.M)
    if not match:
        raise bench_data.bt.BenchError(f"wrk said:\n{output}")
    requests, duration_us, p50, p95, bad, errors = map(int, match.groups())
    if bad or errors:
        raise bench_data.bt.BenchError(f"{case.label}: {bad} answers >= 300 and {errors} errors under load")
    return requests / (duration_us / 1e6), p50 / 1000, p95 / 1000


def prepare(url: str) -> tuple[list[Case], list[int]]:
    """Tokens for the busiest partner's agent and the vendor's agent; the cases. Django is set up here."""
    from django.db.models import Count

    from partnerdesk.accounts.models import EndCustomer, User
    from partnerdesk.accounts.services import create_api_token
    from partnerdesk.tickets.models import Ticket

    bt = bench_data.bt
    partner_id = Ticket.objects.values("partner_id").order_by().annotate(n=Count("pk")).order_by("-n")[0]["partner_id"]
    l1 = User.objects.get(partner_id=partner_id, email__endswith="@" + bt.EMAIL_DOMAIN)
    l2 = User.objects.get(email=f"l2@{bt.EMAIL_DOMAIN}")
    t1, raw1 = create_api_token(acting_user=l1, name="bench_api")
    t2, raw2 = create_api_token(acting_user=l2, name="bench_api")
    ticket = Ticket.objects.filter(partner_id=partner_id, state="escalated").order_by("-pk").first()
    customer = EndCustomer.objects.filter(partner_id=partner_id).order_by("pk").first()
    assert ticket is not None and customer is not None
    body = json.dumps(
        {
            "end_customer_id": customer.pk,
            "subject": "Printing hangs after the update",
            "product": "partnerdesk Server",
            "description": "Since this morning every print job stops at 99 %.",
            "category": "malfunction",
        }
    )
    cases = [
        Case("list", "partner list, newest first", "GET", "/api/v1/tickets", raw1),
        Case("queue", "vendor queue, by due time", "GET", f"/api/v1/tickets?{QUEUE}", raw2),
        Case("detail", "ticket detail (partner)", "GET", f"/api/v1/tickets/{ticket.pk}", raw1),
        Case("create", "ticket create (partner)", "POST", "/api/v1/tickets", raw1, body),
    ]
    return cases, [t1.pk, t2.pk]


def run_size(tickets: int, args: argparse.Namespace, script: Path, log_dir: Path) -> list[Case]:
    url = PREFIX + SIZES.get(tickets, str(tickets))
    bench_data.build(url, tickets)
    from django.db import connection

    from partnerdesk.accounts.models import ApiToken

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) tickets_ticket, tickets_tickettransition, tickets_ticketfollower")
    cases, tokens = prepare(url)
    cases = [c for c in cases if c.key in args.only]
    connection.close()
    ports = {"app": free_port(), "floor": free_port()}
    servers = {
        "app": start("app", "partnerdesk.wsgi:application", url, ports["app"], log_dir / "app.log"),
        "floor": start("floor", "floor_app:application", url, ports["floor"], log_dir / "floor.log"),
    }
    try:
        for port in ports.values():
            wait_up(port, cases[0].token)
        for case in cases:
            answers = {}
            for side, port in ports.items():
                status, body = fetch(port, case.method, case.path, case.token, case.body)
                answers[side] = (status, comparable(case, body))
            if answers["app"] != answers["floor"]:
                app, floor = (answers[s][1].decode()[:400] for s in ("app", "floor"))
                raise bench_data.bt.BenchError(
                    f"{case.label}: the floor answers otherwise\napp:   {app}\nfloor: {floor}"
                )
        for case in cases:
            for side in ("app", "floor"):  # warm-up: imports, prepared plans, connections
                wrk(ports[side], case, 1, args.connections, script)
            for _ in range(args.repeat):
                for side in ("app", "floor"):
                    case.runs[side].append(wrk(ports[side], case, args.seconds, args.connections, script))
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers.values():
            server.wait(timeout=30)
        ApiToken.objects.filter(pk__in=tokens).delete()
        connection.close()
    return cases


def median(runs: list[tuple[float, float, float]], index: int) -> float:
    return statistics.median(r[index] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", default="100000,1000000", help="data sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=8, help="wrk duration per measurement")
    parser.add_argument("--repeat", type=int, default=1, help="measurements per request and server (median)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--only", default="list,queue,detail,create")
    args = parser.parse_args()
    args.only = args.only.split(",")
    if shutil.which("wrk") is None:
        print("wrk is missing (apt-get install -y wrk)", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        try:
            for tickets in [int(n) for n in args.tickets.split(",")]:
                results.append((tickets, run_size(tickets, args, script, Path(tmp))))
        except (bench_data.bt.BenchError, subprocess.CalledProcessError) as error:
            print(f"error: {error}", file=sys.stderr)
            for log in Path(tmp).glob("*.log"):
                print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
            return 2
    print(f"\ngunicorn 2 sync workers each; wrk {args.connections} connections, {args.seconds:g} s x {args.repeat}")
    print(f"{'tickets':>9}  {'request':<28} {'partnerdesk':>22}  {'floor':>22}  {'ratio':>5}")
    for tickets, cases in results:
        for case in cases:
            app, floor = case.runs["app"], case.runs["floor"]
            cells = [f"{median(r, 0):6.0f} req/s p95 {median(r, 2):5.1f} ms" for r in (app, floor)]
            ratio = median(app, 0) / median(floor, 0)
            print(f"{tickets:>9,}  {case.label:<28} {cells[0]:>22}  {cells[1]:>22}  {ratio:5.2f}")
    print("\ntargets: list and queue ratio >= 0.5; create >= 300 req/s, p95 < 50 ms at 1,000,000 tickets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
