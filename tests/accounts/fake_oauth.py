"""A tiny fake of Spotify's accounts service (authorize, token) and `/v1/me`, on 127.0.0.1 in a thread.

It checks what the real one checks for the code flow: the client, the redirect URI, the PKCE verifier
against the challenge, one use per code; refresh tokens may be rotated. Profiles are Spotify's `/me` JSON.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"


@dataclass
class FakeSpotifyAccounts:
    profile: dict = field(default_factory=lambda: {"id": "listener1", "display_name": "Minji", "product": "premium"})
    profile_status: int = 200
    rotate_refresh_tokens: bool = False
    refuse_refresh: bool = False
    expires_in: int = 3600
    codes: dict[str, dict] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    token_requests: list[dict] = field(default_factory=list)
    me_requests: int = 0

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def accounts_url(self) -> str:
        return f"{self.base_url}/accounts/"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1/"

    def __enter__(self) -> FakeSpotifyAccounts:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def issue_tokens(self) -> dict:
        access, refresh = f"at-{secrets.token_hex(8)}", f"rt-{secrets.token_hex(8)}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "token_type": "Bearer", "expires_in": self.expires_in, "refresh_token": refresh}

    # --- the endpoints ---

    def authorize(self, query: dict[str, str]) -> tuple[int, dict, dict]:
        """The listener agrees at once: back to the redirect URI with a code (and the state unchanged)."""
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}, {"error": "invalid_request"}
        code = secrets.token_hex(8)
        self.codes[code] = query
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return 302, {"Location": location}, {}

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict, dict]:
        self.token_requests.append(form)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {}, {"error": "invalid_client"}
        if form.get("grant_type") == "authorization_code":
            return self._code_grant(form)
        if form.get("grant_type") == "refresh_token":
            return self._refresh_grant(form)
        return 400, {}, {"error": "unsupported_grant_type"}

    def _code_grant(self, form: dict[str, str]) -> tuple[int, dict, dict]:
        asked = self.codes.pop(form.get("code", ""), None)  # a code works once
        if asked is None or asked["redirect_uri"] != form.get("redirect_uri"):
            return 400, {}, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if asked.get("code_challenge_method") != "S256" or asked.get("code_challenge") != challenge:
            return 400, {}, {"error": "invalid_grant", "error_description": "code_verifier was incorrect"}
        return 200, {}, self.issue_tokens() | {"scope": asked.get("scope", "")}

    def _refresh_grant(self, form: dict[str, str]) -> tuple[int, dict, dict]:
        refresh = form.get("refresh_token", "")
        if self.refuse_refresh or refresh not in self.refresh_tokens:
            return 400, {}, {"error": "invalid_grant", "error_description": "Refresh token revoked"}
        tokens = self.issue_tokens()
        if self.rotate_refresh_tokens:
            self.refresh_tokens.discard(refresh)
        else:
            self.refresh_tokens.discard(tokens.pop("refresh_token"))
        return 200, {}, tokens

    def me(self, authorization: str) -> tuple[int, dict, dict]:
        self.me_requests += 1
        if authorization.removeprefix("Bearer ") not in self.access_tokens:
            return 401, {}, {"error": {"status": 401, "message": "Invalid access token"}}
        if self.profile_status != 200:
            return self.profile_status, {}, {"error": {"status": self.profile_status, "message": "Forbidden"}}
        return 200, {}, self.profile


def _handler(fake: FakeSpotifyAccounts) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _answer(self, status: int, headers: dict, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/accounts/authorize":
                self._answer(*fake.authorize(query))
            elif url.path.rstrip("/") == "/v1/me":  # spotipy asks for "me/"
                self._answer(*fake.me(self.headers.get("Authorization", "")))
            else:
                self._answer(404, {}, {"error": {"status": 404, "message": "Service not found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path == "/accounts/api/token":
                self._answer(*fake.token(form, self.headers.get("Authorization", "")))
            else:
                self._answer(404, {}, {"error": "not found"})

    return Handler
