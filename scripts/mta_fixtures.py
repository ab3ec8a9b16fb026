"""Shared parts of make-exim-fixtures and make-opensmtpd-fixtures.

A real MTA (Exim, OpenSMTPD) is unpacked from Debian's packages into a folder
under /tmp (never installed over the system's MTA), run on 127.0.0.1 with a
private configuration, and given one message per case. Everything it sends
goes to the fake remote MX below, also on 127.0.0.1: it answers recipients of
`remote.test` by local part with the replies Postfix's own smtpd writes for
those refusals, and it keeps every message sent to `sink.test` (the envelope
sender's domain), which is where the MTA's bounces land. Nothing uses DNS and
nothing leaves the machine.

The labels (reason, hard) of each case come from the case table of the
calling script, that is from how the case was built, never from a decoder.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SINK_DOMAIN = "sink.test"
SENDER = f"sender@{SINK_DOMAIN}"
REMOTE_DOMAIN = "remote.test"
CLIENT_NAME = "client.rebound.test"
ORIGINAL_DATE = "Mon, 01 Jan 2024 09:00:00 +0000"

# What the fake remote MX answers at RCPT, by local part: Postfix's wording for a
# check_recipient_access reject (like scripts/mailstack's fake MX), and Postfix's
# own text for relaying denied.
RCPT_REPLIES = {
    "unknown": "550 5.1.1 <{addr}>: Recipient address rejected: User unknown",
    "blocked": ("554 5.7.1 <{addr}>: Recipient address rejected: Service unavailable; "
                "Client host [127.0.0.1] blocked using zen.spamhaus.org; "
                "https://www.spamhaus.org/query/ip/127.0.0.1"),
    "full": "552 5.2.2 <{addr}>: Recipient address rejected: Mailbox full",
    "tempfail": "451 4.3.0 <{addr}>: Recipient address rejected: Temporary failure, try again later",
    "relay": "554 5.7.1 <{addr}>: Relay access denied",
}
# What it answers after DATA when one of the accepted recipients has this local part:
# Postfix cleanup(8)'s text for message_size_limit, rspamd's milter default for spam.
DATA_REPLIES = {
    "big": "552 5.3.4 Message size exceeds fixed limit",
    "spam": "554 5.7.1 Spam message rejected",
}
# What it answers at MAIL FROM, by the sender's local part: Postfix's text for a
# check_sender_access REJECT.
MAIL_REPLIES = {
    "denied": "554 5.7.1 <{addr}>: Sender address rejected: Access denied",
}
# What it answers at RCPT for every address of a domain: Postfix's
# reject_unknown_recipient_domain text (unknown_address_reject_code = 550).
GONE_DOMAIN = "gone.test"
DOMAIN_REPLIES = {
    GONE_DOMAIN: "550 5.1.2 <{addr}>: Recipient address rejected: Domain not found",
}


@dataclass
class Record:
    """One expected bounce record: what the case is built to produce."""

    recipient: str
    action: str
    reason: str
    hard: bool
    # The RFC 3463 status and SMTP reply code the report must carry (None: none).
    status: str | None
    replycode: str | None


@dataclass
class Case:
    """One message sent and one report of it to keep as a fixture."""

    nn: int
    slug: str
    # Envelope recipients of the message (all with NOTIFY=FAILURE,DELAY).
    rcpts: list[str]
    # "failed", "delayed" or "expired": which report of the message this fixture is.
    kind: str
    records: list[Record] = field(default_factory=list)
    note: str = ""
    # The slug of the case whose message this report is about, when two reports
    # (delay warning, then failure) come from one message.
    message: str | None = None
    # The envelope sender (its local part may ask the fake MX to refuse it).
    sender: str = SENDER

    @property
    def file(self) -> str:
        return f"{self.nn:02d}-{self.slug}.eml"

    @property
    def msgid(self) -> str:
        return f"<rebound-fx-{self.message or self.slug}@fixtures.rebound.test>"


def sends(cases: list[Case]) -> list[Case]:
    """The cases whose messages are sent: one per distinct message."""
    return [c for c in cases if c.message is None]


class FixtureError(Exception):
    pass


def log(prog: str, msg: str) -> None:
    print(f"{prog}: {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ packages


def installed(package: str) -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                         capture_output=True, text=True).stdout
    return "install ok installed" in out


def missing_libraries(packages: list[str]) -> list[str]:
    """The library packages (lib*) the packages depend on, directly or through other such
    libraries, that this machine lacks: those are unpacked beside the MTA. An installed
    library's own dependencies are the system's business."""
    seen: set[str] = set()
    todo = list(packages)
    out: list[str] = []
    while todo:
        pkg = todo.pop(0)
        text = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests",
                               "--no-conflicts", "--no-breaks", "--no-replaces",
                               "--no-enhances", pkg], capture_output=True, text=True).stdout
        for line in text.splitlines():
            m = re.match(r"\s*\|?(?:Pre)?Depends:\s*([a-z0-9][a-z0-9.+-]*)", line)
            if not m or not m.group(1).startswith("lib") or m.group(1) in seen:
                continue
            dep = m.group(1)
            seen.add(dep)
            if not installed(dep):
                out.append(dep)
                todo.append(dep)
    return out


def apt_download(packages: list[str], debs: Path, prog: str) -> None:
    log(prog, f"apt-get download {' '.join(packages)}")
    proc = subprocess.run(["apt-get", "download", *packages], cwd=debs,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True)
        proc = subprocess.run(["apt-get", "download", *packages], cwd=debs,
                              capture_output=True, text=True)
    if proc.returncode != 0:
        raise FixtureError(f"apt-get download failed:\n{proc.stderr}")


def unpack(packages: list[str], root: Path, prog: str) -> None:
    """apt-get download the packages, and the libraries they need that the machine
    lacks, and dpkg -x them into root (never installed)."""
    debs = root.parent / "debs"
    debs.mkdir(parents=True, exist_ok=True)

    def have() -> set[str]:
        return {p.name.split("_", 1)[0] for p in debs.glob("*.deb")}

    if any(p not in have() for p in packages):
        if subprocess.run(["apt-cache", "show", packages[0]],
                          capture_output=True).returncode != 0:
            # a fresh machine without package lists
            subprocess.run(["apt-get", "update"], capture_output=True)
        wanted = packages + missing_libraries(packages)
        apt_download([p for p in wanted if p not in have()], debs, prog)
    root.mkdir(parents=True, exist_ok=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)


def check_libs(binary: Path, env: dict[str, str]) -> None:
    out = subprocess.run(["ldd", str(binary)], env=env, capture_output=True, text=True).stdout
    missing = [line.split()[0] for line in out.splitlines() if "not found" in line]
    if missing:
        raise FixtureError(f"{binary} needs libraries not unpacked: {', '.join(missing)}")


def ensure_user(name: str, prog: str) -> None:
    """A system user (and group) the MTA runs as; made once if missing."""
    if subprocess.run(["id", name], capture_output=True).returncode == 0:
        return
    log(prog, f"adding system user {name}")
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                   check=True)


# ------------------------------------------------------------------ fake remote MX


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("utf-8") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:  # noqa: C901 - one SMTP dialogue, read top to bottom
        server: FakeMX = self.server  # type: ignore[assignment]
        self.reply("220 mx.remote.test ESMTP Postfix (rebound fake remote MX)")
        rcpts: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-mx.remote.test\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
                           "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES")
                rcpts = []
            elif verb == "MAIL":
                rcpts = []
                m = re.search(r"<([^>]*)>", line)
                addr = m.group(1) if m else ""
                text = MAIL_REPLIES.get(addr.rpartition("@")[0].lower())
                self.reply(text.format(addr=addr) if text else "250 2.1.0 Ok")
            elif verb == "RCPT":
                m = re.search(r"<([^>]*)>", line)
                addr = m.group(1) if m else ""
                local, _, domain = addr.rpartition("@")
                text = (RCPT_REPLIES.get(local.lower()) if domain.lower() == REMOTE_DOMAIN
                        else DOMAIN_REPLIES.get(domain.lower()))
                if text:
                    self.reply(text.format(addr=addr))
                else:
                    rcpts.append(addr)
                    self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    self.reply("554 5.5.1 Error: no valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    data += chunk[1:] if chunk.startswith(b".") else chunk
                refusal = next((DATA_REPLIES[a.rpartition("@")[0].lower()] for a in rcpts
                                if a.rpartition("@")[0].lower() in DATA_REPLIES), None)
                if refusal:
                    self.reply(refusal)
                else:
                    if any(a.lower().endswith("@" + SINK_DOMAIN) for a in rcpts):
                        server.keep(bytes(data))
                    self.reply("250 2.0.0 Ok: queued as FAKE%04d" % server.next_id())
                rcpts = []
            elif verb == "RSET":
                rcpts = []
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")


class FakeMX(socketserver.ThreadingTCPServer):
    """The remote MX and the bounce sink, on 127.0.0.1."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, inbox: Path):
        super().__init__(("127.0.0.1", port), _Handler)
        self.inbox = inbox
        self.inbox.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._n = 0

    def next_id(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    def keep(self, data: bytes) -> None:
        # Received over SMTP: CRLF line ends; fixtures are stored with LF like
        # the Postfix ones (the harness tests both).
        n = self.next_id()
        (self.inbox / f"{n:04d}.eml").write_bytes(data.replace(b"\r\n", b"\n"))

    def start(self) -> None:
        threading.Thread(target=self.serve_forever, daemon=True).start()


# ------------------------------------------------------------------ messages


def original_message(case: Case, campaign: str) -> bytes:
    to = ", ".join(f"<{a}>" for a in case.rcpts)
    # a non-ASCII recipient needs a UTF-8 header (RFC 6532)
    charset = "utf-8" if any(not a.isascii() for a in case.rcpts) else "us-ascii"
    lines = [
        f"From: Rebound Fixtures <{case.sender}>",
        f"To: {to}",
        f"Subject: rebound fixture: {case.slug}",
        f"Date: {ORIGINAL_DATE}",
        f"Message-ID: {case.msgid}",
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        f"X-Rebound-Campaign: {campaign}",
        "",
        f"This message was sent by rebound's make-{campaign} ({case.slug}).",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def report_kind(raw: bytes, delayed_subjects: tuple[str, ...],
                expired_marks: tuple[bytes, ...] = ()) -> str:
    """'expired', 'delayed' or 'failed': 'expired' when the report holds one of the
    marks (an MTA that reports expiry as a delay), else from the DSN part's Action when
    there is one, else from the subject."""
    if any(m in raw.lower() for m in expired_marks):
        return "expired"
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status",
                                       "message/global-delivery-status"):
            text = part.as_string().lower()
            if re.search(r"^action:\s*delayed", text, re.M):
                return "delayed"
            if re.search(r"^action:\s*failed", text, re.M):
                return "failed"
    subject = (msg.get("Subject") or "").lower()
    return "delayed" if any(s in subject for s in delayed_subjects) else "failed"


def collect(inbox: Path, cases: list[Case], timeout: float, prog: str,
            delayed_subjects: tuple[str, ...],
            expired_marks: tuple[bytes, ...] = ()) -> dict[int, bytes]:
    """Wait until every case's report is in the sink; key them by case number.
    A report is tied to its case by the original Message-ID it returns."""
    found: dict[int, bytes] = {}
    seen: set[Path] = set()
    deadline = time.monotonic() + timeout
    last = 0.0
    while True:
        for path in sorted(inbox.glob("*.eml")):
            if path in seen:
                continue
            seen.add(path)
            raw = path.read_bytes()
            kind = report_kind(raw, delayed_subjects, expired_marks)
            owners = {c.msgid for c in cases if c.msgid.encode() in raw}
            if len(owners) != 1:
                raise FixtureError(f"{path}: returns {len(owners)} known messages, expected one")
            msgid = owners.pop()
            case = next((c for c in cases if c.msgid == msgid and c.kind == kind), None)
            if case is None:
                log(prog, f"{path.name}: a {kind} report about {msgid}, not a case; ignored")
                continue
            if case.nn in found:
                # a warning repeated at the next interval: the first one is kept
                log(prog, f"{path.name}: another {kind} report for {case.slug}; ignored")
                continue
            found[case.nn] = raw
            log(prog, f"got the {kind} report for {case.slug}")
        if len(found) == len(cases):
            return found
        now = time.monotonic()
        if now > deadline:
            missing = [c.file for c in cases if c.nn not in found]
            raise FixtureError(f"timed out after {timeout:.0f} s waiting for {missing}")
        if now - last > 15:
            log(prog, f"waiting for {len(cases) - len(found)} more report(s)")
            last = now
        time.sleep(0.5)


# ------------------------------------------------------------------ labelling


def check_report(case: Case, raw: bytes) -> None:
    """The report must name every recipient of the case, and where it has a DSN part,
    carry the status the case expects; the text must hold the reply code."""
    text = raw.decode("utf-8", "replace")
    # the report is what comes before the returned message's own Message-ID line
    report = re.split(rf"(?im)^message-id:\s*{re.escape(case.msgid)}", text)[0]
    problems = []
    for rec in case.records:
        if rec.recipient.lower() not in report.lower():
            problems.append(f"{rec.recipient} is not named before the returned message")
        if rec.replycode and not re.search(rf"\b{rec.replycode}[ -]", report):
            problems.append(f"{rec.recipient}: no reply code {rec.replycode} in the report")
        if rec.status and not re.search(rf"\b{re.escape(rec.status)}\b", report):
            problems.append(f"{rec.recipient}: no status {rec.status} in the report")
    if problems:
        raise FixtureError(f"{case.file}: " + "; ".join(problems))


def expected_line(case: Case, source: str, family: str, agent: str) -> str:
    return json.dumps({
        "file": case.file,
        "source": source,
        "family": family,
        "labels_from": "test setup",
        "bounces": [{
            "recipient": r.recipient,
            "status": r.status,
            "replycode": r.replycode,
            "reason": r.reason,
            "hard": r.hard,
            "action": r.action,
            "feedback_type": None,
            "diagnostic_code": None,
            "smtp_agent": agent,
        } for r in case.records],
    })


def write_out(out: Path, cases: list[Case], found: dict[int, bytes], source: str,
              family: str, agent: str, prog: str) -> None:
    for case in cases:
        check_report(case, found[case.nn])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9]-*.eml"):
        old.unlink()
    for case in cases:
        (out / case.file).write_bytes(found[case.nn])
    lines = [expected_line(c, source, family, agent) for c in cases]
    (out / "expected.jsonl").write_text("\n".join(lines) + "\n")
    log(prog, f"wrote {len(cases)} fixtures and expected.jsonl to {out}")


def check_existing(out: Path, cases: list[Case], family: str, agent: str, prog: str) -> None:
    """Re-check committed files against the case table (no MTA, no root)."""
    have = (out / "expected.jsonl").read_text().splitlines()
    source = json.loads(have[0])["source"] if have else ""
    for case in cases:
        check_report(case, (out / case.file).read_bytes())
    want = [expected_line(c, source, family, agent) for c in cases]
    if have != want:
        raise FixtureError(f"{out}/expected.jsonl differs from the case table; it should read:\n"
                           + "\n".join(want))
    log(prog, f"{len(cases)} fixtures in {out} agree with the case table")


def fresh_dir(path: Path, marker: str) -> None:
    """Wipe a work folder made by an earlier run (only one that carries our marker)."""
    if path.exists():
        if any(path.iterdir()) and not (path / marker).exists():
            raise FixtureError(f"{path} exists and was not made by this script; not wiping it")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / marker).write_text("made by rebound's fixture scripts; safe to delete\n")
    os.chmod(path, 0o755)
