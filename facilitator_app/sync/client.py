"""HTTP to the cooperative's server: timeouts, retries with backoff, TLS, and typed errors.

Why so defensive: facilitators sync from parking lots on one bar of signal. A request that
hangs must time out, a dropped connection or a 502/503/504 from a proxy is retried with
exponential backoff and jitter (push and pull are idempotent by design, so a retry is always
safe), and every other answer becomes a typed error whose message a person can act on. The
bearer token is never put into an exception, a log line or a repr.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import random
import time
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ValidationError

from ..core.errors import FieldKitError
from . import protocol

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
RETRY_STATUSES = frozenset({502, 503, 504})


class SyncError(FieldKitError):
    """Base of every sync failure; the message is shown to the facilitator as is."""


class InsecureServerError(SyncError):
    """An http:// address that is not this computer: the token would travel in clear text."""


class NetworkError(SyncError):
    """The server could not be reached (offline, DNS, timeout, TLS); try again later."""


class ServerUnavailableError(SyncError):
    """The server answered 502/503/504 on every retry."""


class AuthError(SyncError):
    """401: the sign-in is missing, expired, revoked or the account is disabled."""


class ForbiddenError(SyncError):
    """403: this account may not do that."""


class RateLimitedError(SyncError):
    """429: too many sign-in attempts."""


class TooLargeError(SyncError):
    """413: the push was too big; the engine sends smaller batches."""


class ClientResetError(SyncError):
    """409 client_reset: this database file is a copy of another install's."""


class ResetRequiredError(SyncError):
    """409 reset: the server cannot continue from our cursor (assignments changed)."""


class ProtocolMismatchError(SyncError):
    """426: this app is too old (or too new) for the server."""


class ServerError(SyncError):
    """Any other unexpected answer (a bug on one side); the message says what came back."""


_BY_CODE: dict[str, type[SyncError]] = {
    "client_reset": ClientResetError,
    "reset": ResetRequiredError,
    "protocol_mismatch": ProtocolMismatchError,
    "too_large": TooLargeError,
    "unauthorized": AuthError,
    "forbidden": ForbiddenError,
    "rate_limited": RateLimitedError,
    "unavailable": ServerUnavailableError,
}
_BY_STATUS: dict[int, type[SyncError]] = {
    401: AuthError, 403: ForbiddenError, 413: TooLargeError, 426: ProtocolMismatchError, 429: RateLimitedError,
    502: ServerUnavailableError, 503: ServerUnavailableError, 504: ServerUnavailableError,
}


CREDENTIALS_IN_URL = (
    "The server address must not contain a user name or password (the part before '@'), because the "
    "address is saved and shown on screen. Give just the address, such as https://sync.example.org; put "
    "the user name in --user (the User box in the app) and type the password when asked.")


def normalize_server_url(url: str) -> str:
    """Check and tidy a server address: https anywhere, http only to this computer, and nothing
    that would be saved or shown unsafely (a password before '@', spaces, control characters)."""
    text = (url or "").strip()
    if "@" in text:  # checked first: no message below may quote a password
        raise SyncError(CREDENTIALS_IN_URL)
    bad = next((ch for ch in text if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")), None)
    if bad is not None:
        what = "a space" if bad == " " else f"an invisible character (U+{ord(bad):04X})"
        raise SyncError(f"The server address {text!r} contains {what}. Type the address again without it, "
                        "such as https://sync.example.org")
    text = text.rstrip("/")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
    except ValueError:
        raise SyncError(f"Server address {url!r} is not a valid address; it must look like "
                        "https://sync.example.org") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SyncError(f"Server address {url!r} must start with https:// and look like https://sync.example.org")
    if parts.scheme == "http" and not _is_local(parts.hostname):
        raise InsecureServerError(
            f"The server address {url!r} uses http://, which would send your password unencrypted. "
            "Use the https:// address your data team gave you (http:// is only allowed to this computer).")
    if parts.query or parts.fragment:
        raise SyncError(f"Server address {url!r} must not contain '?' or '#'")
    return text


def _is_local(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits random(0, min(cap, base * 2**n))."""

    attempts: int = 4
    base_secs: float = 0.5
    cap_secs: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap_secs, self.base_secs * 2 ** attempt))


class SyncClient:
    """One server, one (optional) bearer token. Not thread-safe: use one per sync run."""

    def __init__(self, server_url: str, *, token: str | None = None, ca_bundle: str | None = None,
                 connect_timeout_secs: float = 5.0, read_timeout_secs: float = 30.0,
                 retry: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None, session: requests.Session | None = None):
        self.server_url = normalize_server_url(server_url)
        self._token = token
        self.timeout = (connect_timeout_secs, read_timeout_secs)
        self.retry = retry
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.session = session or requests.Session()
        # Verification is never turned off; a cooperative with its own CA passes its bundle.
        self.session.verify = ca_bundle if ca_bundle else True
        self.session.trust_env = False  # no proxy/netrc surprises; the token goes only where asked
        self.session.headers["User-Agent"] = f"facilitator-app/{_app_version()}"
        self.requests_sent = 0

    def __repr__(self) -> str:  # never show the token
        return f"SyncClient({self.server_url!r}, signed_in={self._token is not None})"

    def close(self) -> None:
        self.session.close()

    # -- endpoints ------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> protocol.TokenResponse:
        try:
            body = protocol.TokenRequest(username=username, password=password)
        except ValidationError:  # never let pydantic's message (which quotes the password) out
            raise AuthError("The user name or password is empty or too long. Check them and try again.") from None
        try:
            return self._call("POST", "/auth/v1/token", body, protocol.TokenResponse, auth=False)
        except AuthError:
            raise AuthError(f"The user name or password is not right for {self.server_url}, or the account is "
                            "disabled. Check them and try again.") from None

    def push(self, request: protocol.PushRequest) -> protocol.PushResponse:
        return self._call("POST", "/sync/v1/push", request, protocol.PushResponse)

    def pull(self, request: protocol.PullRequest) -> protocol.PullResponse:
        """A page as the protocol's model: one row the model refuses fails the whole page (tools
        and tests; the sync engine uses `pull_page`)."""
        return self._call("POST", "/sync/v1/pull", request, protocol.PullResponse)

    def pull_page(self, request: protocol.PullRequest) -> PulledPage:
        """A page whose envelope (cursor, clocks, epoch) is checked here, and whose rows are
        handed over as the JSON objects received: the store's tolerant reader checks each one,
        so a row this app cannot use is set aside with the reason instead of failing the page.

        Why not the model: RowChange refused a whole page for one odd row (a kind of record this
        app does not know, a clock that is not text), and building 46,000 models was a third of
        a first sync's time on this computer. Python's parser also takes what the server may
        have stored that pydantic's refuses (NaN, Infinity, lone surrogates): the reader then
        names it."""
        return PulledPage.parse(self._request("POST", "/sync/v1/pull", request).content, self.server_url)

    def toolkit(self) -> protocol.ToolkitDocument:
        return self._call("GET", "/sync/v1/toolkit", None, protocol.ToolkitDocument)

    def is_reachable(self) -> bool:
        """A cheap probe for the scheduler: does /healthz answer at all (one try, no retries)?"""
        try:
            response = self.session.get(self.server_url + "/healthz", timeout=self.timeout)
        except requests.RequestException:
            return False
        return response.status_code < 500

    # -- plumbing -------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: BaseModel | None, shape: type[T], *, auth: bool = True) -> T:
        return self._parse(self._request(method, path, body, auth=auth), shape)

    def _request(self, method: str, path: str, body: BaseModel | None, *, auth: bool = True) -> requests.Response:
        """Send with retries; a 2xx answer is returned, anything else raised as a SyncError."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = body.model_dump_json().encode()
            headers["Content-Type"] = "application/json"
        if auth:
            if not self._token:
                raise AuthError("You are not signed in. Sign in to your cooperative's server first.")
            headers["Authorization"] = f"Bearer {self._token}"
        url = self.server_url + path
        attempt = 0
        while True:
            try:
                self.requests_sent += 1
                response = self.session.request(method, url, data=data, headers=headers, timeout=self.timeout)
            except requests.exceptions.SSLError as exc:
                raise NetworkError(f"The secure connection to {self.server_url} could not be verified "
                                   f"({_short(exc)}). Check the address, or ask your data team for the "
                                   "certificate bundle to use.") from None
            except requests.RequestException as exc:
                if attempt + 1 >= self.retry.attempts:
                    raise NetworkError(f"Cannot reach {self.server_url} ({_short(exc)}). Your changes are kept "
                                       "on this computer and will be sent at the next sync.") from None
                self._backoff(attempt, f"{type(exc).__name__}")
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt + 1 < self.retry.attempts:
                self._backoff(attempt, f"HTTP {response.status_code}")
                attempt += 1
                continue
            if 200 <= response.status_code < 300:
                return response
            raise self._error(response)

    def _backoff(self, attempt: int, why: str) -> None:
        delay = self.retry.delay(attempt, self._rng)
        log.info("sync request failed (%s); retrying in %.2fs", why, delay)
        self._sleep(delay)

    def _parse(self, response: requests.Response, shape: type[T]) -> T:
        try:
            return shape.model_validate_json(response.content)
        except ValidationError as exc:
            raise ServerError(f"The server at {self.server_url} sent an answer this app does not understand "
                              f"({exc.error_count()} problem(s) in {shape.__name__}). "
                              "Check that the app and server versions match.") from None

    def _error(self, response: requests.Response) -> SyncError:
        status = response.status_code
        body: protocol.ErrorBody | None = None
        try:
            body = protocol.ErrorBody.model_validate(json.loads(response.content or b"null"))
        except (ValueError, ValidationError):
            body = None
        kind = _BY_CODE.get(body.error) if body else None
        kind = kind or _BY_STATUS.get(status) or ServerError
        message = body.message if body else ""
        if kind is ProtocolMismatchError:
            message = ("This version of Facilitator Field Kit cannot sync with the server "
                       f"({message or 'protocol mismatch'}). "
                       "Install the latest version of the app; your changes are kept on this computer until then.")
        elif kind is AuthError:
            message = (f"Your sign-in to {self.server_url} is no longer valid ({message or 'unauthorized'}). "
                       "Sign in again; your unsent changes are kept.")
        elif kind is ServerUnavailableError:
            message = (f"The server at {self.server_url} is busy or down (HTTP {status}). Your changes are kept "
                       "and will be sent at the next sync.")
        elif not message:
            message = f"The server at {self.server_url} answered HTTP {status}."
        error = kind(message)
        error.status = status  # type: ignore[attr-defined]
        error.detail = body.detail if body else None  # type: ignore[attr-defined]
        return error


@dataclass(frozen=True)
class PulledPage:
    """A pull page: the checked envelope, and every row as the JSON object received."""

    envelope: protocol.PullResponse  # with no changes: they are in `changes`
    changes: list[Any]

    @property
    def cursor(self) -> int:
        return self.envelope.cursor

    @property
    def has_more(self) -> bool:
        return self.envelope.has_more

    @property
    def last_mutation_id(self) -> int:
        return self.envelope.last_mutation_id

    @property
    def server_hlc(self) -> str:
        return self.envelope.server_hlc

    @property
    def scope_epoch(self) -> int:
        return self.envelope.scope_epoch

    @property
    def toolkit_version(self) -> str | None:
        return self.envelope.toolkit_version

    @classmethod
    def parse(cls, body: bytes, server_url: str) -> "PulledPage":
        def unreadable(what: str) -> ServerError:
            return ServerError(f"The server at {server_url} sent an answer this app does not understand ({what}). "
                               "Check that the app and server versions match.")
        try:
            try:
                data = json.loads(body)
            except ValueError:  # a number of thousands of digits Python will not convert: read as too large
                data = json.loads(body, parse_int=_bounded_int)
        except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested beyond any record
            raise unreadable("not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
            raise unreadable("no list of changes")
        changes = data["changes"]
        try:
            envelope = protocol.PullResponse.model_validate({**data, "changes": []})
        except ValidationError as exc:
            raise unreadable(f"{exc.error_count()} problem(s) in PullResponse") from None
        return cls(envelope, [c if isinstance(c, dict) else {"fields": c} for c in changes])


def _bounded_int(digits: str) -> int | float:
    """A whole number from a pulled page; one too long for Python to convert becomes infinite,
    which the store's reader then names as too large, instead of failing the page."""
    if len(digits.lstrip("-")) <= 4000:
        return int(digits)
    return -math.inf if digits.startswith("-") else math.inf


def _short(exc: BaseException) -> str:
    """A one-line reason without URLs' query strings or headers (so never a token)."""
    text = type(exc).__name__
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", None)
    if reason is not None:
        text = f"{text}: {type(reason).__name__}"
    return text


def _app_version() -> str:
    from .. import __version__
    return __version__
