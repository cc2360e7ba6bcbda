"""The HTTP client against a real local HTTP server: retries, typed errors, no token leaks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from facilitator_app.sync import client as c
from facilitator_app.sync import protocol


class Scripted:
    """Answers requests from a list of (status, body) in order."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen: list[tuple[str, dict]] = []


@pytest.fixture()
def scripted():
    script = Scripted([])

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            script.seen.append((self.path, dict(self.headers)))
            status, body = script.answers.pop(0)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield script
    server.shutdown()
    server.server_close()


PUSH_OK = {"last_mutation_id": 3, "server_hlc": "000000000000001-000000-s", "results": []}
REQ = protocol.PushRequest(protocol=1, client_id="c1", mutations=[])


def make(url, **kw):
    sleeps = []
    return c.SyncClient(url, token="SECRET-TOKEN", sleep=sleeps.append, **kw), sleeps


def test_retries_503_with_backoff_then_succeeds(scripted):
    scripted.answers = [(503, {"error": "unavailable", "message": "busy"}), (502, {}), (200, PUSH_OK)]
    client, sleeps = make(scripted.url)
    assert client.push(REQ).last_mutation_id == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0
    assert scripted.seen[0][1]["Authorization"] == "Bearer SECRET-TOKEN"


def test_gives_up_after_attempts_with_a_clear_message(scripted):
    scripted.answers = [(503, {"error": "unavailable", "message": "busy"})] * 4
    client, sleeps = make(scripted.url)
    with pytest.raises(c.ServerUnavailableError) as err:
        client.push(REQ)
    assert "kept" in str(err.value) and "SECRET-TOKEN" not in str(err.value)
    assert len(sleeps) == 3


@pytest.mark.parametrize("status,code,kind", [
    (401, "unauthorized", c.AuthError), (403, "forbidden", c.ForbiddenError), (409, "client_reset", c.ClientResetError),
    (409, "reset", c.ResetRequiredError), (413, "too_large", c.TooLargeError),
    (426, "protocol_mismatch", c.ProtocolMismatchError), (429, "rate_limited", c.RateLimitedError),
])
def test_error_codes_become_typed_errors(scripted, status, code, kind):
    scripted.answers = [(status, {"error": code, "message": "server says no"})]
    client, sleeps = make(scripted.url)
    with pytest.raises(kind) as err:
        client.push(REQ)
    assert sleeps == [] and "SECRET-TOKEN" not in str(err.value) and "SECRET-TOKEN" not in repr(err.value)
    if kind is c.ProtocolMismatchError:
        assert "Install the latest version" in str(err.value)


def test_unreachable_server_is_a_network_error_after_retries():
    client, sleeps = make("http://127.0.0.1:9")
    with pytest.raises(c.NetworkError) as err:
        client.push(REQ)
    assert len(sleeps) == 3 and "SECRET-TOKEN" not in str(err.value)
    assert "SECRET-TOKEN" not in repr(client)


def test_answer_of_the_wrong_shape(scripted):
    scripted.answers = [(200, {"nope": 1})]
    client, _ = make(scripted.url)
    with pytest.raises(c.ServerError, match="does not understand"):
        client.push(REQ)


@pytest.mark.parametrize("url", ["http://sync.example.org", "http://10.0.0.5:8765", "ftp://x", "sync.example.org"])
def test_plain_http_only_to_this_computer(url):
    with pytest.raises(c.SyncError):
        c.SyncClient(url)


@pytest.mark.parametrize("url", ["http://localhost:8765/", "http://127.0.0.1:1", "http://[::1]:8765", "https://sync.example.org"])
def test_accepted_addresses(url):
    client = c.SyncClient(url, ca_bundle=None)
    assert client.session.verify is True
    assert not client.server_url.endswith("/")


def test_ca_bundle_is_used_and_verification_stays_on(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert c.SyncClient("https://sync.example.org", ca_bundle=str(bundle)).session.verify == str(bundle)


def test_no_token_no_request():
    client = c.SyncClient("http://127.0.0.1:9")
    with pytest.raises(c.AuthError, match="not signed in"):
        client.push(REQ)
    assert client.requests_sent == 0
