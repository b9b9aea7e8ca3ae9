"""Reference decoder for the kelisim consent cookie, for Python servers.

Reads a request's Cookie header the way the kelisim SDK reads the cookie in
the browser, so that a server gets exactly what ``kelisim.getConsent()`` gives
on the page for the same cookies, config and clock (docs/cookie-format.md
and docs/server.md). Standard library only. It is checked
against the published test vectors, ``tests/vectors/consent-cookies.json``
(``python3 -m unittest discover -s clients/python``).

    import json, time
    from kelisim_consent import read_consent, read_consent_with_reason

    config = json.load(open("kelisim.config.json", encoding="utf-8"))
    now_ms = int(time.time() * 1000)
    consent = read_consent(environ.get("HTTP_COOKIE", ""), config, now_ms)
    if consent and consent["categories"].get("analytics"):
        ...
    consent, why, detail = read_consent_with_reason(cookie_header, config, now_ms)
    # (None, "unanswered", "preferences"): a category added since was never answered

The config is the site's kelisim config (the JSON the SDK's ``start()``
takes), already valid: only ``cookie.name``, ``policy.revision`` and the
categories with their ``id``, ``required`` and services' ``id`` are read.
"""

from __future__ import annotations

__all__ = ["read_consent", "read_consent_with_reason", "NoConsent", "expires_at", "to_iso"]

VERSION = "2"
MAX_LEN = 4096
MAX_ID_LEN = 32
CLOCK_SKEW_MS = 5 * 60 * 1000
FORMAT_EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
CONSENT_MONTHS = 13
MS_PER_DAY = 86_400_000

# What Rust's str::trim strips (Unicode White_Space); Python's str.strip() strips more.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_DIGITS = "0123456789"
_HEX = "0123456789abcdef"
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
_METHODS = ("accept-all", "reject-all", "custom", "withdraw")


class NoConsent(Exception):
    """Why there is no consent: ``code`` is the stable reason code of the
    vectors, ``detail`` the field (``bad-field``) or id (``unanswered``)."""

    def __init__(self, code: str, detail: str | None = None):
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.detail = detail


# --- time (UTC, proleptic Gregorian; days from civil and back) ---------------

def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if _is_leap(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def expires_at(given_at: int) -> int:
    """13 calendar months after ``given_at`` (ms), the day clamped to the
    month's last day (31 January + 13 months = 28 or 29 February), time kept."""
    days, ms = divmod(given_at, MS_PER_DAY)
    y, m, d = _civil_from_days(days)
    total = y * 12 + (m - 1) + CONSENT_MONTHS
    y2, m2 = total // 12, total % 12 + 1
    d2 = min(d, _days_in_month(y2, m2))
    return _days_from_civil(y2, m2, d2) * MS_PER_DAY + ms


def to_iso(ms: int) -> str:
    """``2026-02-28T12:00:00.000Z``, as JavaScript's ``toISOString()`` for years 0 to 9999."""
    days, t = divmod(ms, MS_PER_DAY)
    y, m, d = _civil_from_days(days)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        y % 10000, m, d, t // 3_600_000, t // 60_000 % 60, t // 1000 % 60, t % 1000)


# --- the cookie value ----------------------------------------------------------

def _fnv1a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def _is_uuid(s: str) -> bool:
    return len(s) == 36 and all(
        (c == "-") if i in (8, 13, 18, 23) else (c in _HEX) for i, c in enumerate(s))


def _digits(s: str, most: int) -> int | None:
    if not s or len(s) > most or any(c not in _DIGITS for c in s):
        return None
    return int(s)


def _is_id(s: str) -> bool:
    return 0 < len(s.encode("utf-8")) <= MAX_ID_LEN and all(c in _ID_CHARS for c in s)


def _states(s: str, name: str) -> list[tuple[str, bool]]:
    if s == "":
        return []
    out: list[tuple[str, bool]] = []
    for item in s.split("~"):
        if ":" not in item:
            raise NoConsent("bad-field", name)
        ident, flag = item.split(":", 1)
        if flag not in ("0", "1") or not _is_id(ident) or any(k == ident for k, _ in out):
            raise NoConsent("bad-field", name)
        out.append((ident, flag == "1"))
    return out


def decode(value: str) -> dict:
    """Decodes a cookie value (format version 1 or 2) into its fields, or
    raises NoConsent (malformed, unknown-version, checksum, bad-field)."""
    if value == "" or len(value.encode("utf-8")) > MAX_LEN:
        raise NoConsent("malformed")
    if "." not in value:
        raise NoConsent("malformed")
    body, check = value.rsplit(".", 1)
    parts = body.split(".")
    if parts[0] == "1":
        n = 8
    elif parts[0] == VERSION:
        n = 9
    else:
        raise NoConsent("unknown-version")
    if len(parts) - 1 != n:
        raise NoConsent("malformed")
    f = parts[1:] + ["0"] * (9 - n)
    ident, subject, given_at, revision, language, method, categories, services, gpc = f
    if not (len(check) == 8 and all(c in _HEX for c in check)) or int(check, 16) != _fnv1a(body.encode("utf-8")):
        raise NoConsent("checksum")
    if not _is_uuid(ident):
        raise NoConsent("bad-field", "id")
    if not _is_uuid(subject):
        raise NoConsent("bad-field", "subject")
    given = _digits(given_at, 15)
    if given is None:
        raise NoConsent("bad-field", "givenAt")
    rev = _digits(revision, 10)
    if rev is None or rev > 0xFFFFFFFF:
        raise NoConsent("bad-field", "revision")
    if language not in ("kk", "ru"):
        raise NoConsent("bad-field", "language")
    if method not in _METHODS:
        raise NoConsent("bad-field", "method")
    cats = _states(categories, "categories")
    svcs = _states(services, "services")
    if gpc not in ("0", "1"):
        raise NoConsent("bad-field", "gpc")
    return {"id": ident, "subject": subject, "given_at": given, "revision": rev, "language": language,
            "method": method, "categories": cats, "services": svcs, "gpc": gpc == "1"}


# --- read against the config and the clock ---------------------------------------

def _categories(config: dict) -> list[dict]:
    return config.get("categories") or []


def _admit(c: dict, config: dict, now: int) -> dict:
    """Drops ids the config does not know, reads required categories (and their
    services) as on and a service under a refused category as off; a givenAt
    beyond the clock skew, or before the format existed, is not read."""
    if c["given_at"] > now + CLOCK_SKEW_MS:
        raise NoConsent("from-the-future")
    if c["given_at"] < FORMAT_EPOCH_MS:
        raise NoConsent("too-old")
    stored_cats = dict(c["categories"])
    stored_svcs = dict(c["services"])
    cats, svcs = [], []
    for cat in _categories(config):
        required = bool(cat.get("required", False))
        on = None
        if cat["id"] in stored_cats:
            on = stored_cats[cat["id"]] or required
            cats.append((cat["id"], on))
        for s in cat.get("services") or []:
            if s["id"] in stored_svcs:
                svcs.append((s["id"], required or (stored_svcs[s["id"]] and on is True)))
    return {**c, "categories": cats, "services": svcs}


def _check(c: dict, config: dict, now: int) -> None:
    if now >= expires_at(c["given_at"]):
        raise NoConsent("expired")
    if c["revision"] != config["policy"]["revision"]:
        raise NoConsent("revision-changed")
    known = {k for k, _ in c["categories"]} | {k for k, _ in c["services"]}
    for cat in _categories(config):
        if cat["id"] not in known:
            raise NoConsent("unanswered", cat["id"])
        for s in cat.get("services") or []:
            if s["id"] not in known:
                raise NoConsent("unanswered", s["id"])


def _read_value(value: str, config: dict, now: int) -> dict:
    c = _admit(decode(value), config, now)
    _check(c, config, now)
    return c


def _values(cookie_header: str, name: str) -> list[str]:
    out = []
    for pair in cookie_header.split(";"):
        pair = pair.strip(_WHITE_SPACE)
        if "=" in pair:
            k, v = pair.split("=", 1)
            if k == name:
                out.append(v)
    return out


def _latest(values: list[str], config: dict, now: int) -> str | None:
    """Among several values, the visitor's latest readable, unexpired decision
    (highest givenAt); a tie between different values is no winner."""
    best: tuple[int, str] | None = None
    tie = False
    for v in values:
        try:
            c = _admit(decode(v), config, now)
        except NoConsent:
            continue
        if now >= expires_at(c["given_at"]):
            continue
        at = c["given_at"]
        if best is not None and at == best[0]:
            tie = tie or best[1] != v
        elif best is not None and at < best[0]:
            pass
        else:
            best, tie = (at, v), False
    return None if best is None or tie else best[1]


def _public(c: dict) -> dict:
    return {
        "id": c["id"],
        "subject": c["subject"],
        "givenAt": to_iso(c["given_at"]),
        "expiresAt": to_iso(expires_at(c["given_at"])),
        "revision": c["revision"],
        "language": c["language"],
        "categories": dict(c["categories"]),
        "services": dict(c["services"]),
        "method": c["method"],
        "gpc": c["gpc"],
    }


def read_consent_with_reason(cookie_header: str | None, config: dict, now_ms: int) -> tuple[dict | None, str | None, str | None]:
    """``(consent, why, detail)``: the consent as ``getConsent()`` returns it
    (or None), the reason code when None, and the field or id it names."""
    name = (config.get("cookie") or {}).get("name", "kelisim")
    values = _values(cookie_header or "", name)
    try:
        if len(values) >= 2:
            winner = _latest(values, config, now_ms)
            if winner is None:
                raise NoConsent("several-no-latest")
            value = winner
        elif values:
            value = values[0]
        else:
            raise NoConsent("absent")
        return _public(_read_value(value, config, now_ms)), None, None
    except NoConsent as e:
        return None, e.code, e.detail


def read_consent(cookie_header: str | None, config: dict, now_ms: int) -> dict | None:
    """The consent the browser's ``getConsent()`` gives for this Cookie header,
    config and clock (ms since the Unix epoch, UTC), or None."""
    return read_consent_with_reason(cookie_header, config, now_ms)[0]
