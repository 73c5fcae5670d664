"""A loopback HTTP server for the HTTP client's tests: stdlib `ThreadingHTTPServer` in a thread.

Routes (any method unless said):
    /echo            JSON of the request: method, path, query, args, headers (lower-case), body, form
    /json            a JSON object whose keys are not in sorted order
    /list            a JSON array
    /text            plain text; /latin1 Latin-1 text with its charset
    /status/<code>   that status, JSON body {"code": <code>}
    /redirect/<n>    n redirects (302) ending at /echo
    /go?to=URL&code=302   one redirect to URL with that status
    /slow?s=SECONDS  answers after sleeping (headers and body)
    /drip?s=SECONDS  headers at once, then one byte every 0.1 s for SECONDS
    /big?n=BYTES     n bytes of "x"; /bomb?n=BYTES gzip of n zero bytes
    /gzip            a small gzip-encoded JSON body; /brotli claims a Content-Encoding of br
    /protected       401 unless Authorization is "Bearer fresh-token"; then echoes it
    /auth-echo       echoes the Authorization header in the body and in X-Echo-Auth
    /token           an OAuth2 token endpoint (POST form); answers access_token "fresh-token"
    /file            a PDF-ish attachment named report.pdf
    /multipart       parses a multipart/form-data body into {"fields": {...}, "files": [...]}
`serve(tls=self_signed(folder, name))` answers the same routes over TLS.
Every request is recorded in `hits` as (method, path) before it is answered.
"""

from __future__ import annotations

import email.parser
import email.policy
import gzip
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: list[tuple[str, str]] = []
        self.requests: list[dict[str, Any]] = []
        """Every request in full: method, path, query, headers (lower-case names), body bytes."""
        self.tokens: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, method: str, path: str) -> None:
        with self.lock:
            self.hits.append((method, path))

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out on purpose leave broken pipes behind

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.tokens.clear()


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.route()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    # ---------------------------------------------------------------- helpers

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: bytes, ctype: str = "application/json",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(value).encode("utf-8"), headers=headers)

    def wait(self, seconds: float) -> None:
        self.server.stopping.wait(seconds)

    # ---------------------------------------------------------------- routes

    def route(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        self.server.record(self.command, path)
        data = self.body()
        with self.server.lock:
            self.server.requests.append({"method": self.command, "path": path, "query": parts.query,
                                         "headers": {k.lower(): v for k, v in self.headers.items()}, "body": data})
        arg = {k: v[0] for k, v in query.items()}
        if path == "/echo" or path.startswith("/echo/"):
            text = data.decode("utf-8", "replace")
            form = dict(parse_qsl(text)) if "urlencoded" in (self.headers.get("Content-Type") or "") else None
            self.send_json({"method": self.command, "path": path, "query": parts.query, "args": arg,
                            "headers": {k.lower(): v for k, v in self.headers.items()}, "body": text,
                            "form": form})
        elif path == "/json":
            self.send(200, b'{"zeta": 1, "alpha": [1, 2, {"x": null}], "mid": "text", "big": 12345678901234}')
        elif path == "/list":
            self.send(200, b'[3, "two", {"one": true}]')
        elif path == "/text":
            self.send(200, b"hello, world", "text/plain; charset=utf-8")
        elif path == "/latin1":
            self.send(200, "caf\u00e9".encode("latin-1"), "text/plain; charset=iso-8859-1")
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self.send_json({"code": code}, status=code)
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/echo" if left <= 0 else f"/redirect/{left - 1}"
            self.send(302, b"", "text/plain", {"Location": target})
        elif path == "/go":
            self.send(int(arg.get("code", "302")), b"", "text/plain", {"Location": arg["to"]})
        elif path == "/slow":
            self.wait(float(arg.get("s", "1")))
            self.send_json({"slow": True})
        elif path == "/drip":
            seconds = float(arg.get("s", "1"))
            count = max(1, int(seconds / 0.1))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(count))
            self.end_headers()
            try:
                for _ in range(count):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    self.wait(0.1)
            except OSError:
                pass
        elif path == "/big":
            self.send(200, b"x" * int(arg.get("n", "1000")), "text/plain")
        elif path == "/bomb":
            packed = gzip.compress(b"\0" * int(arg.get("n", "1000")))
            self.send(200, packed, "text/plain", {"Content-Encoding": "gzip"})
        elif path == "/gzip":
            self.send(200, gzip.compress(b'{"packed": true}'), headers={"Content-Encoding": "gzip"})
        elif path == "/brotli":
            self.send(200, b"\x0b\x02\x80hello\x03", "text/plain", {"Content-Encoding": "br"})
        elif path == "/protected":
            auth = self.headers.get("Authorization", "")
            if auth != "Bearer fresh-token":
                self.send_json({"code": "INVALID_TOKEN", "seen": auth}, status=401)
            else:
                self.send_json({"ok": True, "seen": auth})
        elif path == "/auth-echo":
            auth = self.headers.get("Authorization", "")
            self.send_json({"authorization": auth, "query": parts.query}, headers={"X-Echo-Auth": auth})
        elif path == "/token":
            form = dict(parse_qsl(data.decode("utf-8")))
            with self.server.lock:
                self.server.tokens.append(form)
            self.send_json({"access_token": "fresh-token", "expires_in": 3600, "token_type": "Bearer"})
        elif path == "/file":
            self.send(200, b"%PDF-1.4 fake", "application/pdf",
                      {"Content-Disposition": 'attachment; filename="report.pdf"'})
        elif path == "/multipart":
            self.send_json(parse_multipart(self.headers.get("Content-Type", ""), data))
        else:
            self.send_json({"error": "not found", "path": path}, status=404)


def parse_multipart(ctype: str, data: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + data)
    fields: dict[str, str] = {}
    files: list[dict[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is None:
            fields[str(name)] = payload.decode("utf-8")
        else:
            files.append({"field": name, "filename": filename, "type": part.get_content_type(),
                          "content": payload.decode("utf-8", "replace")})
    return {"fields": fields, "files": files}


@contextmanager
def serve(tls: tuple[str, str] | None = None) -> Iterator[Server]:
    """A running server on 127.0.0.1 (a free port), stopped at the end; `tls` = (certificate, key) files."""
    server = Server()
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
        time.sleep(0)


def self_signed(folder: Path, name: str) -> tuple[str, str] | None:
    """A certificate for `name` (and its key) made with the openssl command, or None without it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return str(cert), str(key)
