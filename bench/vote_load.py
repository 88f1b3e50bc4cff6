"""Benchmark: vote day under load — logins and ballots through real HTTP, gunicorn, PostgreSQL.

    .venv/bin/python bench/vote_load.py                      # 100,000 members, 2 minutes of casting
    .venv/bin/python bench/vote_load.py --duration 30 --logins 500 --concurrency 16
    .venv/bin/python bench/vote_load.py --workers 4 --worker-class sync --threads 1
    .venv/bin/python bench/vote_load.py --no-js              # the 3-request path (no script: server confirmation)
    .venv/bin/python bench/vote_load.py --profile            # then a profiled pass of the cast flow
    .venv/bin/python bench/vote_load.py --keep …; .venv/bin/python bench/vote_load.py --reuse …  # no set-up
    .venv/bin/python bench/vote_load.py --reuse --experiment keep-loaded --profile        # a candidate change

Set-up (timed, not counted): a fresh PostgreSQL database (``--server``/``--database``, created here
and dropped at the end unless ``--keep``), ``flask db upgrade``, ``flask seed`` (the convention),
then ``--members`` members with an account each, inserted in bulk (one argon2 hash, computed
once with the production parameters, shared by every account), a Bureau national account, and
a poll opened through ``convention.votes.operations.open_poll`` (the roll frozen over them all).

Then gunicorn serves ``create_app()`` with the production configuration (plain HTTP on the
loopback, Redis for the rate limits and the broker, a queue of its own; ``-w 2 -k gthread
--threads 4`` unless ``--workers``/``--worker-class``/``--threads`` say otherwise), and one asyncio
process (a small HTTP/1.1 client on the standard library: no CPU-hungry load tool) drives it:

1. **ceiling**: ``GET /__bench/hello``, a view of the same application returning a constant
   (every ``before_request``/``after_request`` of the app runs), and ``GET /__bench/bare``, a bare
   Flask app in the same gunicorn, for ``--ceiling-seconds``;
2. **logins**: ``--logins`` members log in through the form (GET the page, POST the
   address, password and CSRF token): logins/s and latency, with the argon2 parameters;
3. **casting**, for ``--duration`` seconds, ``--concurrency`` members at a time, each one from a
   connection of their own (as their own browser; logins too):
   GET the poll page (the booth, for a member who may vote), read the ballot form
   (``id="ballot-form"`` or the form posting to ``/vote/<id>/bulletin``: every input, select and
   textarea, the first radio and checkbox of each name, hidden fields as given), then as a browser
   with JavaScript does: the booth's script shows the confirmation in the page
   (``data-confirm-in-page`` on the form), so the same form is posted at once with
   ``confirmed=1`` and the receipt read (2 requests per ballot). ``--no-js`` votes as a browser
   without JavaScript: POST the form, read the server's confirmation form the same way, POST it
   and read the receipt (3 requests). Members logged in at step 2 vote first; the others get a session
   signed by the application exactly as the login view makes it (``login_user``), so that
   the casting phase is not limited by how fast the machine can verify passwords;
   ``--warm-up`` seconds of casting come first (checked, not timed);
4. **check**: ballots in the box = participations = casts the client received a receipt for,
   and every receipt is in the box (its hash).

Printed: requests/s of the ceiling, logins/s, ballots/s (overall and per 10 s), p50/p95/max of
each request and of the whole ballot, errors, the CPU used by gunicorn, PostgreSQL and the load
generator, and ballots (logins) per gunicorn CPU-second — steadier than the rates on a machine
shared with other work — with what that makes when gunicorn has the cores to itself.
``--profile`` then restarts gunicorn twice with a middleware in each worker: CPU time, SQL
statements and time waiting on PostgreSQL per request, then cProfile (CPU time) per package and
per function. ``--experiment NAME`` (repeatable) serves the app with a candidate change to code
outside the bench (``EXPERIMENTS``) so that its gain is measured before it is made.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import glob
import html
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

PASSWORD = "une phrase de passe pour le banc d'essai"
USER_AGENT = "convention-vote-load/1"
FEDERATIONS = 100
SECTIONS_PER_FEDERATION = 30
TARGET_BALLOTS = 200.0
TARGET_P95_MS = 500.0
TARGET_LOGINS = 40.0
WARM_UP_REQUESTS = 40  # per gunicorn worker, before the profiler starts


# --------------------------------------------------------------------------- the served app


def bench_app():
    """The application gunicorn serves: ``create_app()`` plus two constant views for the ceiling."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from convention import create_app

    app = create_app()

    @app.get("/__bench/hello")
    def bench_hello():
        return "Bonjour"

    bare = Flask("bare")

    @bare.get("/")
    def bare_hello():
        return "Bonjour"

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/__bench/bare": bare})  # type: ignore[method-assign]
    for name in filter(None, os.environ.get("BENCH_EXPERIMENTS", "").split(",")):
        EXPERIMENTS[name][1](app)
    directory = os.environ.get("BENCH_PROFILE_DIR")
    if directory:
        with app.app_context():
            from convention.extensions import db

            cprofile = os.environ.get("BENCH_CPROFILE") == "1"
            app.wsgi_app = Profiled(app.wsgi_app, db.engine, directory, cprofile)  # type: ignore[method-assign]
    return app


def _keep_loaded(app) -> None:
    from convention.extensions import db

    db.session.session_factory.kw["expire_on_commit"] = False


def _nav_cached(app) -> None:
    app.jinja_env.globals["reviews_amendments"] = lambda: False
    processors = app.template_context_processors[None]
    for index, processor in enumerate(processors):
        if processor.__module__ == "convention.notifications.views":
            processors[index] = lambda: {"unread_notifications": 0}


def _gettext_cached(app) -> None:
    from flask import g
    from flask_babel import get_translations

    def translations():
        found = g.get("_bench_translations")
        if found is None:
            found = g._bench_translations = get_translations()
        return found

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


# Changes to code outside the bench, tried here by patching the served app (``--experiment NAME``)
# so that their gain is measured before anyone makes them for real.
EXPERIMENTS = {
    "keep-loaded": (
        "the session keeps its objects loaded across a commit (expire_on_commit=False): the receipt page "
        "reloads nothing",
        _keep_loaded,
    ),
    "gettext-cached": (
        "the templates' _() look the request's translations up once (kept in g), not at every string",
        _gettext_cached,
    ),
    "nav-cached": (
        "the navigation's per-user queries (unread notifications, « Examen des amendements ») are not run, "
        "as if cached",
        _nav_cached,
    ),
}


class Profiled:
    """WSGI middleware: CPU time, SQL statements and database time per request; cProfile per thread if asked.

    The first ``WARM_UP_REQUESTS`` of each worker are left out (templates compiled, connections
    opened): vote day is the steady state.
    """

    def __init__(self, wsgi_app, engine, directory: str, cprofile: bool) -> None:
        import atexit
        import threading

        from sqlalchemy import event

        self.wsgi_app = wsgi_app
        self.directory = directory
        self.cprofile = cprofile
        self.local = threading.local()
        self.lock = threading.Lock()
        # per "METHOD /path": requests, wall s, CPU s, SQL statements, SQL s
        self.stats: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0, 0, 0.0])
        self.count = 0
        self.seen = 0
        self.profiles: list = []  # (profile, path) of every thread, written at exit too
        atexit.register(self.dump)

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            self.local.sql_start = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            self.local.sql_count = getattr(self.local, "sql_count", 0) + 1
            self.local.sql_time = getattr(self.local, "sql_time", 0.0) + time.perf_counter() - self.local.sql_start

    def _profile(self):
        import cProfile
        import threading

        profile = getattr(self.local, "profile", None)
        if profile is None:
            # CPU time of this thread: waiting on PostgreSQL is measured apart (SQL time per request).
            profile = self.local.profile = cProfile.Profile(time.thread_time)
            path = os.path.join(self.directory, f"worker-{os.getpid()}-{threading.get_ident()}.prof")
            with self.lock:
                self.profiles.append((profile, path))
        return profile

    def __call__(self, environ, start_response):
        with self.lock:
            self.seen += 1
            warming = self.seen <= WARM_UP_REQUESTS
        if warming:
            return self.wsgi_app(environ, start_response)
        profile = self._profile() if self.cprofile else None
        self.local.sql_count, self.local.sql_time = 0, 0.0
        start, cpu = time.perf_counter(), time.thread_time()
        if profile is not None:
            profile.enable()
        try:
            result = self.wsgi_app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            if profile is not None:
                profile.disable()
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu
        key = f"{environ['REQUEST_METHOD']} {re.sub(r'/[0-9]+', '/<id>', environ.get('PATH_INFO', ''))}"
        with self.lock:
            entry = self.stats[key]
            entry[0] += 1
            entry[1] += elapsed
            entry[2] += cpu
            entry[3] += self.local.sql_count
            entry[4] += self.local.sql_time
            self.count += 1
            dump = self.count % 100 == 0
        if dump:
            self.dump()
        return [body]

    def dump(self) -> None:
        with self.lock:
            data = {key: list(value) for key, value in self.stats.items()}
            profiles = list(self.profiles)
        for profile, path in profiles:
            profile.dump_stats(path)
        with open(os.path.join(self.directory, f"requests-{os.getpid()}.json"), "w", encoding="utf-8") as handle:
            json.dump(data, handle)


# --------------------------------------------------------------------------- an HTTP/1.1 client


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Connection:
    """One keep-alive connection (reopened when the server closes it); cookies are the caller's."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, cookies: dict[str, str], form: list[tuple[str, str]] | None = None
    ) -> Response:
        # An idle connection may have been closed by the server (keep-alive timeout): open a new one
        # rather than risk a POST on a dead socket (a POST is never retried).
        if self.writer is not None and time.monotonic() - self.last_used > 1.0:
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"User-Agent: {USER_AGENT}"]
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if form is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            response = await self._read()
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            await self.close()
            raise HttpError(f"connection lost: {error!r}") from error
        for key, value in response.headers:
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                name, _, cookie_value = pair.partition("=")
                lowered = value.lower()
                if "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered or not cookie_value:
                    cookies.pop(name.strip(), None)
                else:
                    cookies[name.strip()] = cookie_value.strip()
        if (response.header("connection") or "").lower() == "close":
            await self.close()
        self.last_used = time.monotonic()
        return response

    async def _read(self) -> Response:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = []
        for line in header_lines:
            if line:
                key, _, value = line.partition(":")
                headers.append((key.strip().lower(), value.strip()))
        length = next((value for key, value in headers if key == "content-length"), None)
        chunked = any(key == "transfer-encoding" and "chunked" in value.lower() for key, value in headers)
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        elif length is not None:
            body = await self.reader.readexactly(int(length))
        else:
            body = await self.reader.read()
            await self.close()
        return Response(status, headers, body)


# --------------------------------------------------------------------------- reading forms

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form\s*>", re.S | re.I)
FIELD_RE = re.compile(
    r"<(input|button)\b([^>]*)>|<(select)\b([^>]*)>(.*?)</select\s*>|<(textarea)\b([^>]*)>(.*?)</textarea\s*>",
    re.S | re.I,
)
OPTION_RE = re.compile(r"<option\b([^>]*)>(.*?)</option\s*>", re.S | re.I)
ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
BALLOT_ACTION_RE = re.compile(r"/vote/\d+/bulletin\b")
RECEIPT_RE = re.compile(r'class="[^"]*receipt-code[^"]*"[^>]*>\s*([^<\s]+)\s*<')


def attributes(text: str) -> dict[str, str]:
    found = {}
    for name, double, single, bare in ATTR_RE.findall(text):
        found[name.lower()] = html.unescape(double or single or bare)
    return found


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    confirm_in_page: bool = False  # the page's script shows the confirmation (``data-confirm-in-page``)

    def with_value(self, name: str, value: str) -> Form:
        return Form(self.action, [(k, value if k == name else v) for k, v in self.fields], self.confirm_in_page)


def find_form(page: str, want) -> Form | None:
    """The first form whose attributes satisfy ``want``, with the values a voter's first choices give."""
    for match in FORM_RE.finditer(page):
        attrs = attributes(match.group(1))
        if not want(attrs):
            continue
        form = Form(action=attrs.get("action", ""), confirm_in_page="data-confirm-in-page" in attrs)
        seen_choice: set[str] = set()
        submit_done = False
        for item in FIELD_RE.finditer(match.group(2)):
            if item.group(1):  # input or button
                field_attrs = attributes(item.group(2))
                name = field_attrs.get("name")
                kind = field_attrs.get("type", "text" if item.group(1).lower() == "input" else "submit").lower()
                if not name or "disabled" in field_attrs:
                    continue
                if kind in ("radio", "checkbox"):
                    if name in seen_choice:
                        continue
                    seen_choice.add(name)
                    form.fields.append((name, field_attrs.get("value", "on")))
                elif kind in ("submit", "image"):
                    if not submit_done:
                        submit_done = True
                        form.fields.append((name, field_attrs.get("value", "")))
                elif kind not in ("reset", "file", "button"):
                    form.fields.append((name, field_attrs.get("value", "")))
            elif item.group(3):  # select
                field_attrs = attributes(item.group(4))
                name = field_attrs.get("name")
                if not name or "disabled" in field_attrs:
                    continue
                options = [attributes(o.group(1)) | {"_text": html.unescape(o.group(2)).strip()}
                           for o in OPTION_RE.finditer(item.group(5))]  # fmt: skip
                chosen = next((o for o in options if "selected" in o), None) or next(
                    (o for o in options if o.get("value", o["_text"])), None
                )
                if chosen is not None:
                    form.fields.append((name, chosen.get("value", chosen["_text"])))
            else:  # textarea
                field_attrs = attributes(item.group(7))
                if field_attrs.get("name"):
                    form.fields.append((field_attrs["name"], html.unescape(item.group(8))))
        return form
    return None


def is_ballot_form(attrs: dict[str, str]) -> bool:
    return attrs.get("id") == "ballot-form" or bool(BALLOT_ACTION_RE.search(attrs.get("action", "")))


def is_login_form(attrs: dict[str, str]) -> bool:
    return "/compte/connexion" in attrs.get("action", "/compte/connexion") and attrs.get("method", "").lower() == "post"


# --------------------------------------------------------------------------- measurements


class Timings:
    def __init__(self) -> None:
        self.values: dict[str, list[float]] = collections.defaultdict(list)

    def add(self, name: str, seconds: float) -> None:
        self.values[name].append(seconds)

    def line(self, name: str) -> str:
        values = sorted(self.values.get(name, []))
        if not values:
            return f"{name:<28} (none)"
        return (
            f"{name:<28} n={len(values):>7,}  p50 {percentile(values, 50) * 1000:7.1f} ms  "
            f"p95 {percentile(values, 95) * 1000:7.1f} ms  max {values[-1] * 1000:7.1f} ms"
        )


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of the given processes, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
    return total


def children_of(pid: int) -> list[int]:
    found = []
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(path).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(path.split("/")[2]))
    return found


def postgres_pids() -> list[int]:
    pids = []
    for path in glob.glob("/proc/[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if Path(path).read_text().strip() in ("postgres", "postmaster"):
                pids.append(int(path.split("/")[2]))
    return pids


# --------------------------------------------------------------------------- set-up


@dataclass
class Setup:
    url: str
    env: dict[str, str]
    poll_id: int
    voters: list[tuple[int, int, str]]  # (user id, session generation, e-mail), in voting order
    timings: dict[str, float]
    already: int = 0  # ballots in the box before this run (--reuse)


def server_env(args, database_url: str, secret_key: str, queue: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("TEST_DATABASE_URL", "BENCH_PROFILE_DIR"):
        env.pop(name, None)
    env.update(
        CONVENTION_CONFIG="production",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{args.port}",
        TRUSTED_HOSTS="127.0.0.1",
        FORCE_HTTPS="0",
        PROXY_FIX_HOPS="0",
        CELERY_BROKER_URL=args.redis,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        RATELIMIT_STORAGE_URI=args.redis,
        RATELIMIT_KEY_PREFIX=queue,
        MAIL_SUPPRESS_SEND="1",
        FLASK_APP="convention",
    )
    return env


def forget_queue(client, queue: str) -> None:
    """Delete what this run left in Redis: its queue, kombu's bindings, its unacknowledged messages, its limits."""
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)
    for tag, payload in list(client.hscan_iter("unacked")):
        if queue.encode() in payload:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def create_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask(env: dict[str, str], *command: str) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "convention", *command],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"flask {' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


def reuse(args, database_url: str) -> Setup:
    """The open poll of a database kept by an earlier run (``--keep``): who has not voted yet votes now."""
    import psycopg

    with psycopg.connect(f"{args.server}/{args.database}") as conn:
        poll_id = conn.execute("SELECT id FROM poll WHERE state = 'open' ORDER BY id LIMIT 1").fetchone()[0]
        voters = conn.execute(
            "SELECT u.id, u.session_generation, u.email FROM users u JOIN roll_entry r ON r.member_id = u.member_id "
            "AND r.poll_id = %s WHERE NOT EXISTS (SELECT 1 FROM participation p WHERE p.poll_id = %s "
            "AND p.member_id = u.member_id)",
            (poll_id, poll_id),
        ).fetchall()
        done = conn.execute("SELECT count(*) FROM participation WHERE poll_id = %s", (poll_id,)).fetchone()[0]
    voters = [(uid, generation or 0, email) for uid, generation, email in voters]
    random.Random(5).shuffle(voters)
    return Setup(
        database_url, {}, poll_id, voters, {f"reused: {done:,} voted already, {len(voters):,} to vote": 0.0}, done
    )


def set_up(args, env: dict[str, str], database_url: str) -> Setup:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    create_database(args.server, args.database)
    flask(env, "db", "upgrade")
    timings["database created and migrated"] = time.perf_counter() - start
    start = time.perf_counter()
    flask(env, "seed")
    timings["flask seed (the convention)"] = time.perf_counter() - start

    import datetime as dt

    import sqlalchemy as sa

    from convention import create_app
    from convention.core.db import utcnow
    from convention.core.security import hash_password
    from convention.domain.roles import Role
    from convention.extensions import db
    from convention.members.models import Federation, Member, RoleAssignment, Section, User
    from convention.votes import operations

    # Tasks queued by the set-up (the roll told of the opening) go to an in-memory broker nobody reads.
    app = create_app("production", CELERY_BROKER_URL="memory://", CELERY_TASK_ALWAYS_EAGER=False)
    # A request context on the public address: the operations build the poll's path with url_for.
    with app.test_request_context("/", base_url=env["PUBLIC_BASE_URL"]):
        start = time.perf_counter()
        shared_hash = hash_password(PASSWORD)  # production parameters, once for every account
        timings["one argon2id hash"] = time.perf_counter() - start
        start = time.perf_counter()
        db.session.execute(
            sa.insert(Federation),
            [
                {"code": f"B{f:03d}", "name": f"Banc {f}", "title": f"Fédération du banc {f}"}
                for f in range(FEDERATIONS)
            ],
        )
        federation_ids = list(db.session.scalars(sa.select(Federation.id).order_by(Federation.id)))
        db.session.execute(
            sa.insert(Section),
            [
                {"federation_id": fid, "name": f"Section {s}"}
                for fid in federation_ids
                for s in range(SECTIONS_PER_FEDERATION)
            ],
        )
        section_ids = list(db.session.scalars(sa.select(Section.id).order_by(Section.id)))
        rng = random.Random(11)
        paid = dt.date.today() + dt.timedelta(days=365)
        chunk = 10_000
        for first in range(0, args.members, chunk):
            db.session.execute(
                sa.insert(Member),
                [
                    {
                        "membership_number": f"{1_000_000 + n}",
                        "first_name": f"Prénom{n}",
                        "last_name": f"Nom{n}",
                        "email": f"banc.{n}@exemple.fr",
                        "section_id": rng.choice(section_ids),
                        "dues_paid_until": paid,
                    }
                    for n in range(first, min(args.members, first + chunk))
                ],
            )
        now = utcnow()
        for first in range(0, args.members, chunk):
            members = db.session.execute(
                sa.select(Member.id, Member.email, Member.first_name, Member.last_name)
                .order_by(Member.id)
                .offset(first)
                .limit(chunk)
            ).all()
            db.session.execute(
                sa.insert(User),
                [
                    {
                        "email": email,
                        "display_name": f"{first_name} {last_name}",
                        "member_id": member_id,
                        "is_enabled": True,
                        "password_hash": shared_hash,
                        "activated_dt": now,
                    }
                    for member_id, email, first_name, last_name in members
                ],
            )
        bureau = User(
            email="banc.bn@exemple.fr", display_name="Bureau national (banc)", password_hash=shared_hash,
            is_enabled=True, activated_dt=now,
        )  # fmt: skip
        db.session.add(bureau)
        db.session.flush()
        db.session.add(RoleAssignment(user_id=bureau.id, role=Role.NATIONAL_BUREAU))
        db.session.commit()
        timings[f"{args.members:,} members and accounts inserted"] = time.perf_counter() - start

        from convention.conventions.models import Convention

        convention = db.session.scalars(sa.select(Convention).order_by(Convention.id).limit(1)).one()
        bureau = db.session.get(User, bureau.id)
        poll = operations.create_poll(
            bureau,
            convention,
            operations.PollData(
                title="Vote militant (banc d'essai)",
                question="Approuvez-vous le texte de la convention ?",
                opens_at=now - dt.timedelta(minutes=1),
                closes_at=now + dt.timedelta(days=1),
                roll_cutoff=dt.date.today(),
            ),
        )
        db.session.commit()
        start = time.perf_counter()
        if not operations.open_poll(bureau, poll):
            sys.exit("open_poll refused to open the poll")
        db.session.commit()
        timings[f"open_poll (roll of {poll.roll_size:,} frozen and told)"] = time.perf_counter() - start
        poll_id = poll.id
        voters = db.session.execute(
            sa.select(User.id, User.session_generation, User.email).where(User.member_id.is_not(None))
        ).all()
        db.session.remove()
        db.engine.dispose()
    voters = [(uid, generation or 0, email) for uid, generation, email in voters]
    random.Random(5).shuffle(voters)
    return Setup(database_url, env, poll_id, voters, timings)


def session_minter(env: dict[str, str]):
    """``mint(user_id, generation)``: the session cookie the login view would set for that account (with the
    CSRF token its login page stored)."""
    from flask import session
    from flask_login import login_user

    from convention import create_app
    from convention.members.models import User

    app = create_app("production", CELERY_BROKER_URL="memory://", CELERY_TASK_ALWAYS_EAGER=False)
    serializer = app.session_interface.get_signing_serializer(app)
    probe = User(id=1, email="x@exemple.fr", display_name="x", password_hash="x", is_enabled=True)
    with app.test_request_context(
        "/compte/connexion", method="POST", environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"User-Agent": USER_AGENT},
    ):  # fmt: skip
        login_user(probe)
        template = dict(session)
    cookie_name = app.config["SESSION_COOKIE_NAME"]

    def mint(user_id: int, generation: int) -> dict[str, str]:
        # The login page put a CSRF token in the session before the login (Flask-WTF: 40 hex digits),
        # and the login keeps it: without one, the ballot page would have to store one and set the cookie.
        data = dict(template, _user_id=f"{user_id}:{generation}", csrf_token=secrets.token_hex(20))
        return {cookie_name: serializer.dumps(data)}

    return mint


# --------------------------------------------------------------------------- gunicorn


class Server:
    def __init__(self, args, env: dict[str, str], log: Path, profile_dir: str | None = None) -> None:
        self.args = args
        env = dict(env)
        if profile_dir:
            env["BENCH_PROFILE_DIR"] = profile_dir
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind", f"127.0.0.1:{args.port}",
            "--workers", str(args.workers),
            "--worker-class", args.worker_class,
            "--threads", str(args.threads),
            "--keep-alive", "5",
            "--timeout", "120",
            "--backlog", "2048",
            "--pythonpath", f"{ROOT},{BENCH}",
            "--log-level", "warning",
            "vote_load:bench_app()",
        ]  # fmt: skip
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def pids(self) -> list[int]:
        return [self.process.pid, *children_of(self.process.pid)]

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(
                    f"gunicorn exited ({self.process.returncode}):\n{self.log.read_text(errors='replace')[-4000:]}"
                )
            connection = Connection("127.0.0.1", self.args.port)
            try:
                response = await connection.request("GET", "/__bench/hello", {})
                if response.status == 200 and len(children_of(self.process.pid)) >= self.args.workers:
                    await connection.close()
                    await asyncio.sleep(1)  # every worker has loaded the app
                    return
            except (OSError, HttpError):
                pass
            await connection.close()
            await asyncio.sleep(0.3)
        sys.exit("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --------------------------------------------------------------------------- phases


async def ceiling(args, path: str, seconds: float) -> tuple[float, Timings, int]:
    timings = Timings()
    errors = 0
    stop_at = time.monotonic() + seconds

    async def user() -> None:
        nonlocal errors
        connection = Connection("127.0.0.1", args.port)
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                response = await connection.request("GET", path, {})
                ok = response.status == 200
            except HttpError:
                ok = False
            if ok:
                timings.add(path, time.perf_counter() - start)
            else:
                errors += 1
        await connection.close()

    start = time.monotonic()
    await asyncio.gather(*(user() for _ in range(args.concurrency)))
    elapsed = time.monotonic() - start
    return len(timings.values[path]) / elapsed, timings, errors


async def log_in(args, emails: list[str]) -> tuple[list[dict[str, str]], float, Timings, collections.Counter]:
    """Log ``emails`` in through the form, ``--login-concurrency`` at a time; their session cookies."""
    timings = Timings()
    errors: collections.Counter = collections.Counter()
    sessions: list[dict[str, str]] = []
    queue = collections.deque(emails)

    async def user() -> None:
        while queue:
            email = queue.popleft()
            cookies: dict[str, str] = {}
            connection = Connection("127.0.0.1", args.port)  # each member's own browser (see ``cast``)
            try:
                start = time.perf_counter()
                page = await connection.request("GET", "/compte/connexion", cookies)
                middle = time.perf_counter()
                timings.add("GET /compte/connexion", middle - start)
                form = find_form(page.text, is_login_form) if page.status == 200 else None
                if form is None:
                    errors[f"login page {page.status}"] += 1
                    continue
                values = [(k, v) for k, v in form.fields if k not in ("email", "password", "remember")]
                values += [("email", email), ("password", PASSWORD)]
                response = await connection.request("POST", form.action or "/compte/connexion", cookies, values)
                end = time.perf_counter()
                timings.add("POST /compte/connexion", end - middle)
                if response.status == 302 and "/connexion" not in (response.header("location") or ""):
                    timings.add("login (GET + POST)", end - start)
                    sessions.append(cookies)
                else:
                    errors[f"login refused ({response.status})"] += 1
            except HttpError as error:
                errors[str(error)[:60]] += 1
            finally:
                await connection.close()

    start = time.monotonic()
    await asyncio.gather(*(user() for _ in range(args.login_concurrency)))
    elapsed = time.monotonic() - start
    return sessions, len(sessions) / elapsed if elapsed else 0.0, timings, errors


@dataclass
class CastResult:
    casts: int = 0
    receipts: list[str] = field(default_factory=list)
    per_window: collections.Counter = field(default_factory=collections.Counter)
    timings: Timings = field(default_factory=Timings)
    errors: collections.Counter = field(default_factory=collections.Counter)
    elapsed: float = 0.0
    started: int = 0
    requests: int = 0  # of the ballots cast (2 with the confirmation in the page, 3 without)


async def cast(args, poll_id: int, sessions, seconds: float) -> CastResult:
    """``--concurrency`` members at a time vote for ``seconds``: page, ballot, confirmation, receipt.

    As a browser with JavaScript does (unless ``--no-js``): when the ballot form says that the
    confirmation is shown in the page (``data-confirm-in-page``), no request is made for it.
    """
    in_page = not args.no_js
    result = CastResult()
    poll_path = f"/vote/{poll_id}"
    stop_at = time.monotonic() + seconds
    t0 = time.monotonic()
    window = 10.0

    async def user() -> None:
        while time.monotonic() < stop_at:
            cookies = next(sessions, None)
            if cookies is None:
                result.errors["no member left to vote"] += 1
                break
            result.started += 1
            # Each member votes from their own browser: a connection of their own (kept alive for their
            # requests), never one shared with the members before them. Sharing a connection pinned a
            # slot of the load to the worker process that accepted it, for the whole run.
            connection = Connection("127.0.0.1", args.port)
            try:
                begin = time.perf_counter()
                page = await connection.request("GET", poll_path, cookies)
                t1 = time.perf_counter()
                result.timings.add("GET /vote/<id>", t1 - begin)
                form = find_form(page.text, is_ballot_form) if page.status == 200 else None
                if form is None:
                    result.errors[f"no ballot form on the poll page ({page.status})"] += 1
                    continue
                if in_page and form.confirm_in_page:
                    # What static/js/ballot.js does: the confirmation is shown in the page, then the
                    # same form is posted with confirmed=1 (no request for the confirmation step).
                    confirm, t2 = form.with_value("confirmed", "1"), t1
                else:
                    response = await connection.request("POST", form.action, cookies, form.fields)
                    t2 = time.perf_counter()
                    result.timings.add("POST bulletin (choice)", t2 - t1)
                    confirm = find_form(response.text, is_ballot_form) if response.status == 200 else None
                    if confirm is None:
                        where = response.header("location") or ""
                        result.errors[f"no confirmation form ({response.status} {where[:40]})"] += 1
                        continue
                receipt = await connection.request("POST", confirm.action, cookies, confirm.fields)
                t3 = time.perf_counter()
                result.timings.add("POST bulletin (confirm)", t3 - t2)
                if receipt.status != 200:
                    result.errors[f"cast refused ({receipt.status} {(receipt.header('location') or '')[:40]})"] += 1
                    continue
                result.requests += 2 if t2 == t1 else 3
                result.timings.add("ballot (all requests)", t3 - begin)
                result.casts += 1
                result.per_window[int((time.monotonic() - t0) // window)] += 1
                code = RECEIPT_RE.search(receipt.text)
                if code:
                    result.receipts.append(html.unescape(code.group(1)))
            except HttpError as error:
                result.errors[str(error)[:60]] += 1
            finally:
                await connection.close()

    await asyncio.gather(*(user() for _ in range(args.concurrency)))
    result.elapsed = time.monotonic() - t0
    return result


def check_box(setup: Setup, results: list[CastResult]) -> tuple[int, int, int, bool]:
    """Ballots put in the box by this run, participations, receipts found in the box; and whether all agree."""
    import psycopg

    from convention.votes.models import hash_receipt_code

    with psycopg.connect(setup.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        ballots = conn.execute("SELECT count(*) FROM ballot WHERE poll_id = %s", (setup.poll_id,)).fetchone()[0]
        participations = conn.execute(
            "SELECT count(*) FROM participation WHERE poll_id = %s", (setup.poll_id,)
        ).fetchone()[0]
        hashes = {
            row[0] for row in conn.execute("SELECT receipt_hash FROM ballot WHERE poll_id = %s", (setup.poll_id,))
        }
    casts = sum(result.casts for result in results)
    receipts = [code for result in results for code in result.receipts]
    found = sum(1 for code in receipts if hash_receipt_code(code) in hashes)
    ballots, participations = ballots - setup.already, participations - setup.already
    ok = ballots == participations == casts and found == len(receipts) == casts
    return ballots, participations, found, ok


# --------------------------------------------------------------------------- profile report


def print_request_stats(directory: str) -> None:
    """CPU, wall and SQL per request of the workers (after their warm-up), from the middleware's files."""
    requests: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0, 0, 0.0])
    for path in glob.glob(os.path.join(directory, "requests-*.json")):
        for key, values in json.loads(Path(path).read_text()).items():
            entry = requests[key]
            for index, value in enumerate(values):
                entry[index] += value
    print("  per request in the workers: wall time, CPU time, SQL statements, time waiting on them")
    for key, (count, wall, cpu, sql_count, sql_time) in sorted(requests.items(), key=lambda kv: -kv[1][0]):
        print(
            f"    {key:<34} n={count:>6,}  wall {wall / count * 1000:6.1f} ms  CPU {cpu / count * 1000:5.1f} ms  "
            f"{sql_count / count:4.1f} statements  {sql_time / count * 1000:5.1f} ms in SQL"
        )


def print_profile(directory: str, top: int) -> None:
    import pstats

    files = sorted(glob.glob(os.path.join(directory, "*.prof")))
    if not files:
        print("  (no profile written: too few requests)")
        return
    stats = pstats.Stats(files[0])
    for path in files[1:]:
        stats.add(path)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in raw.values()) or 1.0
    buckets: collections.Counter = collections.Counter()
    for (filename, _, name), (_, _, tt, _, _) in raw.items():
        buckets[package_of(filename, name)] += tt
    print(f"  CPU time of the workers (own time, tottime) by package, {total:.1f} s in all:")
    for bucket, seconds in buckets.most_common(14):
        print(f"    {bucket:<44} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    print(f"  CPU time of selected steps (cumulative), % of the profiled CPU time ({total:.1f} s):")
    steps = {
        "render_template (Jinja)": ("flask/templating.py", "render_template"),
        "user loading (load_session_user)": ("convention/auth/sessions.py", "load_session_user"),
        "CSRF check (protect)": ("flask_wtf/csrf.py", "protect"),
        "CSRF token (generate_csrf)": ("flask_wtf/csrf.py", "generate_csrf"),
        "session cookie open": ("flask/sessions.py", "open_session"),
        "session cookie save": ("flask/sessions.py", "save_session"),
        "SQLAlchemy Session.execute": ("sqlalchemy/orm/session.py", "execute"),
        "SQLAlchemy commit": ("sqlalchemy/orm/session.py", "commit"),
        "psycopg cursor.execute": ("psycopg/cursor.py", "execute"),
        "cast_ballot": ("convention/votes/operations.py", "cast_ballot"),
        "Talisman (before + after)": ("flask_talisman/talisman.py", "_set_response_headers"),
        "Flask-Limiter before_request": ("flask_limiter/_extension.py", "_check_request_limit"),
        "translations looked up (one per _())": ("flask_babel/__init__.py", "get_translations"),
        "lazy loads of relationships": ("sqlalchemy/orm/strategies.py", "_load_for_state"),
        "url_for": ("flask/app.py", "url_for"),
    }
    for label, (file_part, func) in steps.items():
        # The outermost of the functions of that name (a module function may wrap a method of the same name).
        cumulative = max((ct for (filename, _, name), (_, _, _, ct, _) in raw.items()
                          if name == func and filename.endswith(file_part)), default=0.0)  # fmt: skip
        print(f"    {label:<44} {cumulative:7.2f} s  {100 * cumulative / total:5.1f} %")
    for title, column, skip_builtins in (("cumulative", 3, True), ("own (tottime)", 2, False)):
        print(f"  top {top} functions by {title} CPU time:")
        rows = []
        for (filename, line, name), values in sorted(raw.items(), key=lambda kv: -kv[1][column]):
            short = short_path(filename)
            if (skip_builtins and short.startswith("~")) or "gunicorn" in short or "vote_load.py" in short:
                continue
            rows.append((f"{short}:{line}({name})"[:78], values[2], values[3], values[1]))
            if len(rows) >= top:
                break
        for label, tt, ct, calls in rows:
            print(f"    {label:<78} cum {ct:6.2f} s  own {tt:6.2f} s  calls {calls:>9,}")


def short_path(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    with contextlib.suppress(ValueError):
        return str(Path(filename).relative_to(ROOT))
    return filename


def package_of(filename: str, name: str) -> str:
    if filename == "~" or filename.startswith("<"):
        if filename.startswith("<template>") or name.startswith("<"):
            return "templates (compiled Jinja)"
        return f"C built-ins ({name.split(' ')[0][:30]}…)" if filename == "~" else "other"
    short = short_path(filename)
    if short.endswith(".html") or "templates/" in short:
        return "templates (compiled Jinja)"
    parts = short.split("/")
    if parts[0] == "convention":
        return "convention/" + (parts[1] if len(parts) > 2 else parts[-1])
    if parts[0] in ("sqlalchemy", "psycopg", "jinja2", "werkzeug", "flask", "flask_wtf", "wtforms", "flask_login",
                    "flask_babel", "babel", "itsdangerous", "flask_limiter", "limits", "flask_talisman", "markupsafe",
                    "redis", "argon2", "flask_sqlalchemy"):  # fmt: skip
        return parts[0]
    if "/lib/python3.11/" in filename or filename.startswith("/usr/lib"):
        return "Python standard library"
    return parts[0]


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--database", default="convention_bench", help="throwaway database (dropped first)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of sustained casting")
    parser.add_argument("--concurrency", type=int, default=16, help="members voting at the same time")
    parser.add_argument("--logins", type=int, default=1000, help="members who log in through the form first")
    parser.add_argument("--login-concurrency", type=int, default=8)
    parser.add_argument("--ceiling-seconds", type=float, default=10.0)
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds of casting before the timed phase")
    # 2 processes × 4 threads bought 10–20 % more ballots per CPU-second than 4 sync workers here (keep-alive,
    # fewer processes fighting for 2 cores); the waits on PostgreSQL overlap within a process.
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile", action="store_true", help="then profile the server during a short cast phase")
    parser.add_argument("--profile-seconds", type=float, default=20.0)
    parser.add_argument(
        "--experiment", action="append", default=[], choices=sorted(EXPERIMENTS),
        help="serve the app with this change (see EXPERIMENTS); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--no-js", action="store_true",
        help="vote as a browser without JavaScript: the server's confirmation page (3 requests per ballot)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left (no set-up)")
    args = parser.parse_args()
    asyncio.run(run(args))


async def run(args) -> None:
    queue = f"convention-bench-{uuid.uuid4().hex[:8]}"
    secret_key = secrets.token_hex(32)
    database_url = f"{args.server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{args.database}"
    env = server_env(args, database_url, secret_key, queue)
    env["BENCH_EXPERIMENTS"] = ",".join(args.experiment)
    os.environ.update(env)  # before config.py is imported: this process builds the same app to set up and sign
    workdir = Path(tempfile.mkdtemp(prefix="vote-load-"))
    server: Server | None = None
    print(
        f"vote_load: {args.members:,} members, gunicorn {args.workers} × {args.worker_class}"
        f"{f' × {args.threads} threads' if args.threads > 1 else ''}, {args.concurrency} members voting at once "
        f"{'without JavaScript' if args.no_js else 'with JavaScript'}, "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    for name in args.experiment:
        print(f"  experiment {name}: {EXPERIMENTS[name][0]}")
    try:
        setup = reuse(args, database_url) if args.reuse else set_up(args, env, database_url)
        for label, seconds in setup.timings.items():
            print(f"  set-up: {label:<48} {seconds:7.2f} s")
        server = Server(args, env, workdir / "gunicorn.log")
        await server.wait_ready()

        # 1. The ceiling.
        hello_rate = None
        for path, label in (("/__bench/hello", "hello-world (this app, constant view)"),
                            ("/__bench/bare/", "hello-world (bare Flask, same gunicorn)")):  # fmt: skip
            if args.ceiling_seconds <= 0:
                break
            rate, timings, errors = await ceiling(args, path, args.ceiling_seconds)
            hello_rate = hello_rate or rate
            print(f"ceiling  {label:<42} {rate:8,.0f} req/s   {timings.line(path).split(None, 1)[1]}  errors {errors}")

        # 2. Logins.
        logins = min(args.logins, len(setup.voters))
        cpu_before, t_before = process_cpu(server.pids()), time.monotonic()
        sessions, login_rate, login_timings, login_errors = await log_in(
            args, [email for _, _, email in setup.voters[:logins]]
        )
        login_cpu = process_cpu(server.pids()) - cpu_before
        login_elapsed = time.monotonic() - t_before
        print(
            f"logins   {len(sessions):,} of {logins:,} in {login_elapsed:.1f} s: {login_rate:.1f} logins/s "
            f"(target ≥ {TARGET_LOGINS:.0f}) {'OK' if login_rate >= TARGET_LOGINS else 'MISSED'}; "
            f"gunicorn CPU {login_cpu / login_elapsed:.2f} cores; errors {dict(login_errors) or 0}"
        )
        for name in ("GET /compte/connexion", "POST /compte/connexion", "login (GET + POST)"):
            print(f"         {login_timings.line(name)}")
        if login_cpu:
            per_core = len(sessions) / login_cpu
            print(
                f"         {per_core:.1f} logins per gunicorn CPU-second ({1000 / per_core:.0f} ms of CPU per login, "
                f"argon2 included): with the {os.cpu_count()} cores to itself gunicorn would log in about "
                f"{per_core * (os.cpu_count() or 2):.0f} members/s"
            )

        # 3. Casting.
        mint = session_minter(env)
        rest = setup.voters[logins:]

        def all_sessions():
            yield from sessions
            for user_id, generation, _ in rest:
                yield mint(user_id, generation)

        voters = all_sessions()
        # Warm-up (templates compiled, connections opened in every worker): cast, checked, not timed.
        warm = await cast(args, setup.poll_id, voters, args.warm_up)
        server_pids = server.pids()
        pg_before = process_cpu(postgres_pids())
        cpu_before, client_before = process_cpu(server_pids), time.process_time()
        result = await cast(args, setup.poll_id, voters, args.duration)
        server_cpu = process_cpu(server_pids) - cpu_before
        pg_cpu = process_cpu(postgres_pids()) - pg_before
        client_cpu = time.process_time() - client_before
        rate = result.casts / result.elapsed
        ballot_p95 = percentile(sorted(result.timings.values["ballot (all requests)"]), 95) * 1000
        per_ballot = result.requests / result.casts if result.casts else 3.0
        request_times = sorted(
            value
            for name in ("GET /vote/<id>", "POST bulletin (choice)", "POST bulletin (confirm)")
            for value in result.timings.values[name]
        )
        request_p95 = percentile(request_times, 95) * 1000
        print(
            f"casting  {result.casts:,} ballots in {result.elapsed:.1f} s: {rate:.1f} ballots/s "
            f"(target ≥ {TARGET_BALLOTS:.0f}), request p95 {request_p95:.0f} ms (target < {TARGET_P95_MS:.0f}) → "
            f"{'OK' if rate >= TARGET_BALLOTS and request_p95 < TARGET_P95_MS else 'MISSED'}; "
            f"whole ballot p95 {ballot_p95:.0f} ms; {result.requests / result.elapsed:.0f} requests/s"
            + (
                f", {rate * per_ballot / hello_rate * 100:.1f} % of the hello-world ceiling in requests"
                if hello_rate
                else ""
            )
        )
        print(
            f"         {per_ballot:.1f} requests per ballot: "
            + (
                "the confirmation shown in the page, as static/js/ballot.js does "
                "(--no-js: the server's confirmation page)"
                if per_ballot < 3
                else "the poll page, the server's confirmation page, the cast (--no-js or no script)"
            )
        )
        for name in ("GET /vote/<id>", "POST bulletin (choice)", "POST bulletin (confirm)", "ballot (all requests)"):
            print(f"         {result.timings.line(name)}")
        windows = [result.per_window.get(i, 0) / 10 for i in range(int(result.elapsed // 10))]
        print(f"         ballots/s per 10 s: {' '.join(f'{w:.0f}' for w in windows)}")
        if windows:
            print(f"         slowest 10 s: {min(windows):.0f} ballots/s, median {statistics.median(windows):.0f}")
        print(f"         errors: {dict(result.errors) or 0}")
        print(
            f"         CPU during casting: gunicorn {server_cpu / result.elapsed:.2f} cores, PostgreSQL "
            f"{pg_cpu / result.elapsed:.2f} cores, load generator {client_cpu / result.elapsed:.2f} cores "
            f"(machine load average {os.getloadavg()[0]:.2f})"
        )
        # The machine is shared: how many ballots each CPU-second of gunicorn buys is steadier than the rate.
        per_core = result.casts / server_cpu if server_cpu else 0.0
        spare = max(0.0, (os.cpu_count() or 2) - (pg_cpu + client_cpu) / result.elapsed)
        print(
            f"         {per_core:.1f} ballots per gunicorn CPU-second ({1000 / per_core if per_core else 0:.0f} ms "
            f"of CPU per ballot, {1000 / per_core / per_ballot if per_core else 0:.1f} per request): "
            f"with the {os.cpu_count()} "
            f"cores to itself (less PostgreSQL and the load generator) gunicorn would cast about "
            f"{per_core * spare:.0f} ballots/s"
        )
        ballots, participations, found, ok = check_box(setup, [warm, result])
        casts = warm.casts + result.casts
        print(
            f"check    ballots {ballots:,} = participations {participations:,} = casts {casts:,} "
            f"({warm.casts:,} in the warm-up, errors {dict(warm.errors) or 0}); receipts found in the box "
            f"{found:,} of {len(warm.receipts) + len(result.receipts):,} → {'OK' if ok else 'MISMATCH'}"
        )
        server.stop()
        server = None

        if args.profile:
            for mode in ("stats", "cprofile"):
                profile_dir = workdir / f"profile-{mode}"
                profile_dir.mkdir()
                profile_env = dict(env, BENCH_CPROFILE="1" if mode == "cprofile" else "0")
                server = Server(args, profile_env, workdir / f"gunicorn-{mode}.log", str(profile_dir))
                await server.wait_ready()
                profiled = await cast(args, setup.poll_id, voters, args.profile_seconds)
                server.stop()
                server = None
                print(
                    f"profile  ({'cProfile in every worker' if mode == 'cprofile' else 'CPU and SQL per request'}) "
                    f"{profiled.casts:,} ballots in {profiled.elapsed:.1f} s, {profiled.casts / profiled.elapsed:.1f} "
                    f"ballots/s; errors {dict(profiled.errors) or 0}"
                )
                if mode == "stats":
                    print_request_stats(str(profile_dir))
                else:
                    print_profile(str(profile_dir), top=25)
    finally:
        if server is not None:
            server.stop()
        with contextlib.suppress(Exception):
            import redis

            client = redis.Redis.from_url(args.redis)
            forget_queue(client, queue)
            client.close()
        if not (args.keep or args.reuse):
            with contextlib.suppress(Exception):
                drop_database(args.server, args.database)
        if os.environ.get("BENCH_KEEP_WORKDIR"):
            print(f"  files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
