"""The reliability drill's load: client threads that read pages, post notes and order.

Each client is a thread with its own cookies, talking HTTP/1.1 to one server
on ``127.0.0.1`` with ``http.client`` (one connection per request, redirects
not followed). Members log in first (a real ``POST /accounts/login/``); the
others stay anonymous. Members also order: they read the order form on
``/shop/`` once (a ``qty_<product id>`` field per product) and, at their
order share, ``POST /shop/`` one item of a product chosen at random. Every
request is recorded as a ``Result``: when it started, how long it took, its
status (None for a connection error), the routing trace's ``X-DB-Queries``
header, which says how many queries each database served, and for a 503 the
database its page names.
"""

import http.client
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

READ_PATHS = ("/", "/blog/", "/shop/", "/read-your-writes/")
WRITE_PATH = "/read-your-writes/"  # POST: a note in default, then a redirect
ORDER_PATH = "/shop/"  # POST, members only: an order in shop_db, then a redirect to it
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
PRODUCT_FIELD = re.compile(rb'name="qty_(\d+)"')
# templates/503.html and routers.degraded's built-in page both say this.
UNAVAILABLE = re.compile(rb"The database (\w+) can(?:'|&#x27;|&#39;)t be reached")


@dataclass
class Result:
    client: int
    kind: str  # "read", "write" (a note) or "order"
    path: str
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: the connection failed or timed out
    error: str = ""
    queries: dict[str, int] = field(default_factory=dict)
    unavailable: str = ""  # the database a 503 page names

    @property
    def failed(self) -> bool:
        return self.status is None or not 200 <= self.status < 400

    @property
    def page(self) -> str:
        """``GET /blog/``, ``POST /shop/``: the method and the path."""
        return f"{'GET' if self.kind == 'read' else 'POST'} {self.path}"


def parse_queries(header: str | None) -> dict[str, int]:
    """``default=1, replica=2`` as a dict; ``none`` or no header as {}."""
    if not header or header == "none":
        return {}
    pairs = (part.split("=") for part in header.split(", "))
    return {alias: int(count) for alias, count in pairs}


class Client:
    """One browser: its cookies and CSRF token, one request at a time."""

    def __init__(self, number: int, *, port: int, timeout: float):
        self.number, self.port, self.timeout = number, port, timeout
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.products: list[int] = []  # the ids on the order form, for members

    def request(self, method: str, path: str, form: dict | None = None):
        """Send one request; return ``(status, headers, body)``. Raises OSError on failure."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            self._store(value)
        return response.status, response.headers, content

    def _store(self, header: str) -> None:
        """Keep a cookie as a browser would; one deleted (``Max-Age=0``) is dropped."""
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def fetch_token(self, path: str) -> bytes:
        """Keep the CSRF token of the form on *path*; return the page."""
        status, _, content = self.request("GET", path)
        match = TOKEN.search(content)
        if status != 200 or not match:
            raise RuntimeError(f"client {self.number}: no CSRF token on {path} ({status})")
        self.token = match.group(1).decode()
        return content

    def read_order_form(self) -> None:
        """Keep the product ids of the order form (``qty_<id>`` fields) and its token."""
        content = self.fetch_token(ORDER_PATH)
        self.products = sorted({int(pk) for pk in PRODUCT_FIELD.findall(content)})
        if not self.products:
            raise RuntimeError(f"client {self.number}: no product on the order form")

    def log_in(self, username: str, password: str) -> None:
        self.fetch_token("/accounts/login/")
        form = {"csrfmiddlewaretoken": self.token, "username": username, "password": password}
        status, _, _ = self.request("POST", "/accounts/login/", form)
        if status != 302:
            raise RuntimeError(f"client {self.number}: login as {username} answered {status}")

    def timed(self, kind: str, method: str, path: str, form: dict | None = None) -> Result:
        started = time.monotonic()
        try:
            status, headers, content = self.request(method, path, form)
        except OSError as error:  # refused, reset, timed out
            return Result(
                self.number, kind, path, started, time.monotonic() - started, None, repr(error)
            )
        seconds = time.monotonic() - started
        queries = parse_queries(headers.get("X-DB-Queries"))
        named = UNAVAILABLE.search(content) if status == 503 else None
        database = named.group(1).decode() if named else ""
        return Result(self.number, kind, path, started, seconds, status, "", queries, database)


class Load:
    """*clients* threads, the first *members* of them logged in, until ``stop()``.

    At each step a member orders at *order_share*; any other step of any
    client posts a note at *write_share*, or else reads one of *pages*.
    """

    def __init__(
        self,
        *,
        port,
        clients,
        members,
        password,
        pages,
        write_share,
        order_share,
        think,
        seed,
        timeout,
    ):
        self.pages = pages
        self.clients = [Client(n, port=port, timeout=timeout) for n in range(clients)]
        self.members, self.password = members, password
        self.write_share, self.order_share = write_share, order_share
        self.think, self.seed = think, seed
        self.results: list[Result] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def prepare(self) -> None:
        """Log the members in, let them read the order form; give every client a CSRF token.

        Django rotates the token at login, so it is fetched afterwards; the
        note form's and the order form's are the same cookie's.
        """
        for client in self.clients[: self.members]:
            client.log_in(f"drill{client.number}", self.password)
            client.read_order_form()
        for client in self.clients:
            client.fetch_token(WRITE_PATH)

    def start(self) -> None:
        for client in self.clients:
            thread = threading.Thread(target=self._run, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, *, timeout: float) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, client: Client) -> None:
        rng = random.Random(self.seed * 1000 + client.number)
        sent = 0
        while not self._stop.is_set():
            if client.products and rng.random() < self.order_share:
                product = rng.choice(client.products)
                form = {"csrfmiddlewaretoken": client.token, f"qty_{product}": "1"}
                result = client.timed("order", "POST", ORDER_PATH, form)
            elif rng.random() < self.write_share:
                text = f"drill note {client.number}-{sent}"
                form = {"csrfmiddlewaretoken": client.token, "text": text}
                result = client.timed("write", "POST", WRITE_PATH, form)
            else:
                result = client.timed("read", "GET", rng.choice(self.pages))
            self.results.append(result)
            sent += 1
            self._stop.wait(self.think)
