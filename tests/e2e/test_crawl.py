"""A crawl of the running demo: every same-site link and every form, as three visitors.

Starting from ``/``, as an anonymous visitor, as ``alice`` and as ``admin``, the
crawl follows each link on the site and submits each form twice, once with
every field empty and once with junk in every field the visitor can type
into. No answer may be a 5xx, and no error page may be unstyled (a page
without the site's or the admin's stylesheet is Django's bare fallback).

Pages that differ only in their numbers or query values (``/blog/7/``,
``/blog/9/``) are one kind of page; the crawl visits a few of each kind, so
it covers every view without reading every row.
"""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import requests

DEMO_PASSWORD = "multidb-demo"
JUNK = "<b>junk</b>' OR 1=1; -- \u202e\U0001f600" + "x" * 300
PER_KIND = 1  # pages visited per kind of URL
MAX_REQUESTS = 700  # per visitor: a bound, should a page start linking to itself forever
# Links the crawl leaves alone: logging itself out, and the admin's irreversible steps.
LEFT_ALONE = re.compile(r"^/(accounts|admin)/logout/|/delete/$|/password/$|^/static/|^/media/")
STYLESHEETS = ("/static/core/site.css", "/static/admin/css/")


class Page(HTMLParser):
    """The links and forms of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            method = attrs.get("method", "get").lower()
            self.forms.append({"action": attrs.get("action", ""), "method": method, "fields": []})
        elif not self.forms:
            return
        elif tag in ("input", "textarea"):
            kind = attrs.get("type", "text").lower() if tag == "input" else "textarea"
            if kind not in ("submit", "button", "image", "reset", "file") and attrs.get("name"):
                self.forms[-1]["fields"].append((attrs["name"], kind, attrs.get("value", "")))
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self.forms[-1]["fields"].append((attrs["name"], "select", ""))
        elif tag == "button" and attrs.get("name"):
            self.forms[-1]["fields"].append((attrs["name"], "button", attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def filled(fields, junk: bool) -> dict:
    """The form's data: hidden fields (the CSRF token) and buttons as sent, the rest emptied
    or junk."""
    data = {}
    for name, kind, value in fields:
        if kind in ("hidden", "button"):
            data[name] = value
        elif kind in ("checkbox", "radio"):
            if junk:
                data[name] = "junk"
        else:
            data[name] = JUNK if junk else ""
    return data


def kind_of(url: str) -> str:
    """``/blog/7/?page=2&tag=x`` and ``/blog/9/?tag=y&page=3`` are one kind.

    The admin's changelists are one kind whatever their filters and orderings:
    Django's own code, with hundreds of combinations.
    """
    parts = urlsplit(url)
    query = "" if parts.path.startswith("/admin/") else parts.query
    keys = sorted({pair.split("=")[0] for pair in query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def logged_in(base_url: str, username: str | None) -> requests.Session:
    session = requests.Session()
    if username:
        session.get(f"{base_url}/accounts/login/")
        answer = session.post(
            f"{base_url}/accounts/login/",
            data={
                "username": username,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": f"{base_url}/accounts/login/"},
        )
        assert answer.ok and "sessionid" in session.cookies, f"{username} couldn't log in"
    return session


def problems_of(response) -> list[str]:
    where = f"{response.request.method} {urlsplit(response.url).path}"
    if response.status_code >= 500:
        return [f"{where}: {response.status_code}"]
    html = "text/html" in response.headers.get("content-type", "")
    styled = any(sheet in response.text for sheet in STYLESHEETS)
    if response.status_code >= 400 and html and not styled:
        return [f"{where}: an unstyled {response.status_code} page"]
    return []


def crawl(base_url: str, session: requests.Session) -> tuple[list[str], Counter]:
    seen_kinds: Counter = Counter()
    visited: set[str] = set()
    queue = deque(["/"])
    problems: list[str] = []
    requests_made = Counter()
    host = urlsplit(base_url).netloc

    def fetch(method, path, **kwargs):
        requests_made[method] += 1
        headers = {"Referer": base_url + path}
        response = session.request(method, base_url + path, headers=headers, **kwargs)
        problems.extend(problems_of(response))
        return response

    while queue and sum(requests_made.values()) < MAX_REQUESTS:
        path = queue.popleft()
        if path in visited or seen_kinds[kind_of(path)] >= PER_KIND:
            continue
        visited.add(path)
        seen_kinds[kind_of(path)] += 1
        response = fetch("GET", path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = Page()
        page.feed(response.text)
        for href in page.links:
            url = urlsplit(urldefrag(urljoin(base_url + path, href))[0])
            if url.netloc == host and not LEFT_ALONE.search(url.path):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
        for form in page.forms:
            target = urlsplit(urljoin(base_url + path, form["action"] or path))
            if LEFT_ALONE.search(target.path) or target.netloc != host:
                continue
            target_path = target.path + (f"?{target.query}" if target.query else "")
            for junk in (False, True):
                data = filled(form["fields"], junk)
                if form["method"] == "post":
                    fetch("POST", target_path, data=data, allow_redirects=True)
                else:
                    fetch("GET", target.path, params=data, allow_redirects=True)
    return problems, requests_made


@pytest.mark.parametrize("username", [None, "alice", "admin"], ids=["anonymous", "alice", "admin"])
def test_no_link_or_form_leads_to_a_5xx_or_an_unstyled_page(demo_server, username):
    session = logged_in(demo_server, username)
    problems, requests_made = crawl(demo_server, session)
    assert requests_made["GET"] > 50 and requests_made["POST"] > 0, requests_made
    assert not problems, "\n".join(problems)
