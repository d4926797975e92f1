"""Hostile input on every page: NUL, a lone surrogate and 10 kB values never answer 5xx.

Every URL pattern of the URLconf is visited as staff, so the admin is reached
too: one test per area (each ModelAdmin's pages, the rest of the admin, the
site), on one set of rows, deleting and logging out last. Each query
parameter the page reads, then each field of each form the page renders,
gets each hostile value. The answer may be a 400, a redirect, a form with
errors or a normal page; never a 5xx. About 700 requests, some 6 s.

- Query parameters: the ones the project's own views read (found in their
  source), ``next`` on the login pages, and on the admin's pages the ones the
  admin reads: on a changelist ``?q=`` search, ``?o=`` ordering, ``?p=``
  paging and every parameter of its filters (``?status=``).
  Each alone where a bad one could end the page early, together where none
  can (``parameter_groups``).
- Form fields: those of every form class in the page's context (forms,
  formsets, the admin's wrappers), with their prefixes and the names of
  their widgets' parts, plus the admin's own inputs that no form class
  declares (``_selected_action``, ``post``). One at a time, the others
  valid, where valid values are known; else all at once (``hostile_posts``).
- Values: ``%00``; ``%ED%A0%80``, the bytes a client sends for the lone
  surrogate ``\\ud800``; and 10 240 digits (too long for every field, and
  past the 4 300 digits Python's ``int()`` accepts).

It runs on the PostgreSQL topology (``postgres``): that is where a NUL used
to answer 500 (``DataError: PostgreSQL text fields cannot contain NUL (0x00)
bytes``), and about 700 requests are too many to repeat on SQLite for what
``apps/core/tests/test_bad_input.py`` and ``test_admin.py`` already show
there. A page added
whose arguments this module can't fill in fails here by name. The routing
trace is off: it records SQL without parameters, so no hostile value
reaches it, and rendering its panel would only add time.
"""

import inspect
import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.contrib.admin.options import IS_FACETS_VAR, IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.forms import BaseForm, BaseFormSet, MultiWidget
from django.test import override_settings
from django.test.utils import ContextList
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.activity.models import Event
from apps.activity.services import event_record
from apps.analytics.models import UserMetric
from apps.blog.factories import CommentFactory, PostFactory, TagFactory
from apps.blog.models import Post
from apps.likes.services import like_create
from apps.notes.factories import NoteFactory
from apps.shop.factories import OrderFactory, OrderItemFactory, ProductFactory

ALL = [
    "default",
    "replica",
    "blog_db",
    "shop_db",
    "analytics",
    "analytics_owner",
    "legacy",
    "legacy_owner",
    "shard_0",
    "shard_1",
]

HOSTILE = {
    "NUL": "%00",
    "lone surrogate": quote("\ud800".encode("utf-8", "surrogatepass")),
    "10 kB": "9" * 10_240,
}


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full name (or None), its route, and the view."""

    name: str | None
    route: str
    pattern: URLPattern

    @property
    def view(self):
        return self.pattern.callback

    @property
    def label(self) -> str:
        return self.name or self.route


def routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """Every URL pattern of the URLconf, with the route and namespace it is reached by."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from routes(entry, prefix + str(entry.pattern), inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name=name, route=prefix + str(entry.pattern), pattern=entry)


ROUTES = list(routes())
# The admin's last pattern answers any other address under /admin/; it has no name.
CATCH_ALL = {"admin/(?P<url>.*)$": "/admin/no-such-page/"}
LOGIN_VIEWS = {"login", "admin:login"}
LOGOUT_VIEWS = {"logout", "admin:logout"}
ADMIN_OBJECT_VIEWS = {"change_view", "delete_view", "history_view", "add_view"}


@pytest.fixture
def objects(db):
    """One row per model, so every page that shows one has one to show."""
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    alice = UserFactory(username="alice")
    tag = TagFactory(name="Django", slug="django")
    post = PostFactory(title="Hostile input", author=alice, tags=[tag])
    CommentFactory(post=post, author=alice)
    product = ProductFactory(name="Widget", stock=1_000, sku="MDB-0001")  # in legacy too
    order = OrderFactory(customer=staff)
    OrderItemFactory(order=order, product=product, quantity=1, unit_price=product.price)
    note = NoteFactory(author=alice)
    like_create(user=alice, target=post)
    event_record(user=staff, kind=Event.Kind.NOTE_SAVED, summary="On staff's shard")
    Group.objects.create(name="Editors")
    return {
        "staff": staff,
        "post": post,
        "product": product,
        "order": order,
        "note": note,
        # The admin's pages for a user edit alice, so deleting her leaves staff logged in.
        "user": alice,
    }


def row_pk(model, objects):
    """The primary key of a row *model*'s admin can show."""
    if model is UserMetric:  # a view of the warehouse, which holds no row here
        return objects["user"].pk
    return first_row(model).pk


def first_row(model):
    row = model._default_manager.order_by("pk").first()
    if row is None:
        pytest.fail(f"No {model._meta.label} to show: add one to the objects fixture.")
    return row


def page_path(route: Route, objects) -> str:
    """A concrete address for *route*, its arguments filled in from *objects*."""
    if route.route in CATCH_ALL:
        return CATCH_ALL[route.route]
    names = list(route.pattern.pattern.regex.groupindex)
    kwargs = {name: argument(route, name, objects) for name in names}
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(kwargs[match[1]]), route.route)
    return "/" + path


def argument(route: Route, name: str, objects):
    model_admin = getattr(route.view, "model_admin", None)
    if model_admin and name in {"object_id", "id"}:
        model = model_admin.model
        if model is type(objects["user"]):
            return objects["user"].pk
        return row_pk(model, objects)
    if route.name == "admin:view_on_site":
        post = objects["post"]
        content_type = ContentType.objects.get_for_model(Post)
        return {"content_type_id": content_type.pk, "object_id": post.pk}[name]
    if route.name == "admin:auth_user_password_change":
        return objects["user"].pk
    if route.name == "admin:app_list":
        return "shop"
    fills = {
        ("blog:post_detail", "pk"): objects["post"].pk,
        ("blog:post_detail", "slug"): objects["post"].slug,
        ("shop:order_detail", "pk"): objects["order"].pk,
        ("shop:product_detail", "slug"): objects["product"].slug,
        ("notes:note_detail", "pk"): objects["note"].pk,
        ("likes:like", "label"): "blog.post",
        ("likes:like", "object_id"): objects["post"].pk,
        ("analytics:report", "slug"): "top-products",
        ("analytics:report-csv", "slug"): "users-and-revenue",
        ("pattern_detail", "slug"): "cross-database-relations",  # the page with a form
        ("source_detail", "name"): "replica.py",
    }
    if (route.name, name) not in fills:
        pytest.fail(f"Don't know how to fill {name!r} of {route.label!r}: add it to argument().")
    return fills[(route.name, name)]


def parameter_groups(route: Route, response) -> list[list[str]]:
    """The query parameters *route*'s page reads, in the groups that are sent together.

    One parameter a request where a bad one can end the page early (the admin
    redirects on a bad filter value), which would hide the others from it;
    together where none can. A page that reads none gets one it doesn't know.
    """
    view = route.view
    name = getattr(view, "__name__", "")
    if getattr(view, "__module__", "").startswith("apps."):
        source = inspect.getsource(inspect.unwrap(view))
        read = re.findall(r"request\.GET(?:\.get|\.getlist)?[\[(]\"(\w+)\"", source)
        parameters = sorted(set(read))
    elif route.name in LOGIN_VIEWS:
        parameters = ["next"]
    elif route.name == "admin:autocomplete":
        parameters = ["term", "app_label", "model_name", "field_name", "page"]
    elif name == "changelist_view":
        return changelist_groups(response)
    elif name in ADMIN_OBJECT_VIEWS:
        return [["_changelist_filters", IS_POPUP_VAR], [TO_FIELD_VAR]]
    else:
        parameters = ["unknown"]
    return [[parameter] for parameter in parameters or ["unknown"]]


def changelist_groups(response) -> list[list[str]]:
    """A changelist's parameters: those that can't end the page early together, the rest alone.

    A bad ``?o=`` is ignored, a bad ``?p=`` is page 1, and the flags are flags,
    so one request carries them all; ``_to_field`` is refused first, and a
    bad filter value redirects, so each of those goes alone: every parameter
    of every filter, and each filter's bare field name (``?status=``, the
    lookup the issue found).
    """
    groups = [
        [SEARCH_VAR, ORDER_VAR, PAGE_VAR, ALL_VAR, IS_POPUP_VAR, IS_FACETS_VAR],
        [TO_FIELD_VAR],
    ]
    changelist = response.context["cl"]
    filters = [
        parameter for spec in changelist.filter_specs for parameter in spec.expected_parameters()
    ]
    filters += [name for name in changelist.list_filter if isinstance(name, str)]
    return groups + [[parameter] for parameter in dict.fromkeys(filters)]


def form_fields(route: Route, response) -> list[str]:
    """The names a browser would post from the page's forms, as their form classes declare."""
    fields = []
    for form in page_forms(response):
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            if isinstance(field.widget, MultiWidget):
                fields += [key + suffix for suffix in field.widget.widgets_names]
            else:
                fields.append(key)
    name = getattr(route.view, "__name__", "")
    if name == "changelist_view":
        fields += ["_selected_action", "index"]
    if name == "delete_view":
        fields.append("post")
    return list(dict.fromkeys(fields))


def page_forms(response):
    """Every form in the response's context: bare, in formsets, or in the admin's wrappers."""
    if response.context is None:
        return
    contexts = response.context if isinstance(response.context, ContextList) else [response.context]
    seen = set()
    for context in contexts:
        for layer in getattr(context, "dicts", [context]):
            for value in layer.values():
                for form in _forms_in(value):
                    if id(form) not in seen:
                        seen.add(id(form))
                        yield form


def _forms_in(value):
    if isinstance(value, BaseForm):
        yield value
    elif isinstance(value, BaseFormSet):
        yield value.management_form
        yield from value.forms
    elif isinstance(value, admin.helpers.AdminForm):
        yield value.form
    elif isinstance(value, admin.helpers.InlineAdminFormSet):
        yield from _forms_in(value.formset)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, admin.helpers.InlineAdminFormSet | BaseFormSet | BaseForm):
                yield from _forms_in(item)


def valid_post(route: Route, objects) -> dict[str, str]:
    """Values the page's form accepts, for the fields that aren't the hostile one."""
    name = getattr(route.view, "__name__", "")
    if name == "changelist_view":
        first = row_pk(route.view.model_admin.model, objects)
        return {"action": "delete_selected", "_selected_action": str(first), "index": "0"}
    return {
        "blog:post_create": {"title": "Fuzzed", "content": "A body.", "tags": "django"},
        "blog:post_detail": {"body": "A comment."},
        "shop:product_list": {f"qty_{objects['product'].pk}": "1"},
        "notes:read_your_writes": {"text": "A note."},
        "login": {"username": "staff", "password": DEFAULT_PASSWORD},
        "admin:login": {"username": "staff", "password": DEFAULT_PASSWORD},
    }.get(route.name, {})


def area(route: Route) -> str:
    """Pages that share one set of rows: a ModelAdmin's, the rest of the admin's, the site's."""
    model_admin = getattr(route.view, "model_admin", None)
    if model_admin:
        return f"admin {model_admin.model._meta.label}"
    return "admin" if route.route.startswith("admin/") else "site"


def destructive_last(route: Route) -> tuple[bool, bool]:
    """Deleting a row and logging out change what later pages show: they go last."""
    return getattr(route.view, "__name__", "") == "delete_view", route.name in LOGOUT_VIEWS


AREAS = {name: [] for name in dict.fromkeys(area(route) for route in ROUTES)}
for _route in ROUTES:
    AREAS[area(_route)].append(_route)


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL)
@override_settings(ROUTING_TRACE=False)
@pytest.mark.parametrize("area_name", AREAS)
def test_no_hostile_value_in_any_parameter_or_field_answers_5xx(client, objects, area_name):
    """Each page of the area, in turn: its query parameters, then its forms' fields."""
    client.raise_request_exception = False  # a 500 is collected below, not raised
    client.force_login(objects["staff"])
    failures = []
    for route in sorted(AREAS[area_name], key=destructive_last):
        failures += page_failures(client, route, objects)
    assert failures == [], "\n".join(failures)


def page_failures(client, route: Route, objects) -> list[str]:
    """Every hostile value in every parameter group and form field of *route*'s page."""
    path = page_path(route, objects)
    page = client.get(path)
    if page.status_code >= 500:
        return [f"GET {path} answered {page.status_code} without any input"]
    groups = parameter_groups(route, page)
    fields = form_fields(route, page)
    baseline = valid_post(route, objects)

    failures = []
    for label, value in HOSTILE.items():
        for group in groups:
            query = "&".join(f"{quote(parameter)}={value}" for parameter in group)
            response = client.get(f"{path}?{query}")
            if response.status_code >= 500:
                fuzzed = ", ".join(group)
                failures.append(f"GET {path}?{fuzzed}=<{label}>: {response.status_code}")
            relogin(client, route, objects)
        for hostile in hostile_posts(fields, baseline):
            body = form_body(baseline, hostile, value)
            response = client.post(path, body, content_type="application/x-www-form-urlencoded")
            if response.status_code >= 500:
                fuzzed = ", ".join(hostile)
                failures.append(f"POST {path} {fuzzed}=<{label}>: {response.status_code}")
            relogin(client, route, objects)
    return failures


def hostile_posts(fields: list[str], baseline: dict[str, str]) -> list[list[str]]:
    """Which fields each POST makes hostile.

    Where the page's accepted values are known, one field at a time, so the
    value travels as far as a valid form takes it (into a service, a save).
    Elsewhere (the admin's add and change forms) every field at once: a form
    validates each field whatever the others hold, so one POST reaches them all.
    """
    if not fields:
        return []
    if baseline:
        return [[field] for field in fields]
    return [fields]


def form_body(baseline: dict[str, str], hostile: list[str], value: str) -> str:
    """A urlencoded body: *baseline*, with each field in *hostile* set to *value* as it is."""
    pairs = [(quote(name), quote(text)) for name, text in baseline.items() if name not in hostile]
    pairs += [(quote(name), value) for name in hostile]
    return "&".join(f"{name}={text}" for name, text in pairs)


def relogin(client, route: Route, objects) -> None:
    """A logout page logs staff out; log back in, so the next request still reaches the page."""
    if route.name in LOGOUT_VIEWS:
        client.force_login(objects["staff"])


def test_every_page_of_the_urlconf_is_in_an_area():
    """The URLconf is walked, not listed: the demo's pages and the admin's are all here."""
    assert sum(len(routes) for routes in AREAS.values()) == len(ROUTES) > 70
    assert {"site", "admin", "admin shop.Order", "admin auth.Group"} <= set(AREAS)
    names = {route.name for route in ROUTES}
    assert {"home", "health", "health_json", "blog:post_list", "shop:order_detail"} <= names
    assert {"notes:lag_lab", "login", "admin:shop_order_changelist", "admin:index"} <= names
    assert {"activity:mine", "activity:everyone"} <= names
    assert any(route.route in CATCH_ALL for route in ROUTES)
