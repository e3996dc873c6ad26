"""A bad-input battery generated from the URL configuration (issue 14 item 4).

Nothing here lists endpoints or fields by hand, so a new route, method or field
is covered the day it is added:

- routes: every URLPattern the root resolver reaches, path parameters filled
  from their converters (an existing row's id, a number beyond 64 bits, text);
- methods: GET, POST, PUT, PATCH and DELETE on each;
- fields: the declared fields of every Django form a view refers to, and the
  names the view and the project functions it calls read from a mapping (so
  `body.get("subject")` in a service is a field), and for settings routes every
  registered settings key;
- values: wrong types, NUL, lone surrogates, huge numbers, 5,000 digits, long
  strings, NaN, deep JSON, bad UTF-8 and wrong content types.

The network is cut for the run (no SMTP, IMAP, webhook delivery or DNS leaves the
machine); a refused connection is an answer like any other.
"""

from __future__ import annotations

import inspect
import json
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

PROJECT_PACKAGES = ("stmails", "subscribers", "campaigns", "bounces", "webhooks")
METHODS = ("get", "post", "put", "patch", "delete")
HUGE = 10**20
HUGE_TEXT = "99999999999999999999"
DEEP_JSON = "[" * 100_000
# JSON values, each wrong for most fields somewhere.
JSON_VALUES: list[Any] = [
    "a\u0000b",
    "a\ud800b",
    HUGE,
    -HUGE,
    "9" * 5000,
    "x" * 100_000,
    "²",
    "NaN",
    1.5e308,
    None,
    True,
    [],
    ["a\u0000", HUGE],
    {"k": "a\u0000b", "n": HUGE},
    "",
    "2024-13-45T99:99:99Z",
]
# What a form or a query string can carry: text only.
TEXT_VALUES = [
    "a\u0000b",
    HUGE_TEXT,
    "-" + HUGE_TEXT,
    "9" * 5000,
    "x" * 100_000,
    "²",
    "",
    "2024-13-45",
]
# Each field gets this many values, rotating through the pool, so every value
# meets every kind of field while the run stays within CI's budget.
VALUES_PER_FIELD = 1
# Values that let a request pass the fields before the one under attack.
PLAUSIBLE: dict[str, Any] = {
    "email": "battery@example.com",
    "subscriber_email": "battery@example.com",
    "name": "Battery",
    "subject": "Subject",
    "body": "Body",
    "source": "api",
    "type": "hard",
    "content_type": "plain",
    "host": "127.0.0.1",
    "port": 9,
    "url": "http://127.0.0.1:9/hook",
    "mode": "subscribe",
    "action": "add",
    "status": "enabled",
    "password": "Battery-password-1234",
    "token": "x",
}
# Quoted words in source that are not field names.
NOT_FIELDS = {"GET", "POST", "PUT", "PATCH", "DELETE", "utf-8", "id", "pk"}
# A quoted name read from a mapping: .get("x"), .getlist("x"), .pop("x"), ["x"],
# or handed to a helper with the mapping: optional_list(body, "lists").
_READ = re.compile(
    r"""(?:\.(?:get|getlist|pop)\(\s*|\[\s*|\(\s*[a-z_.]+\s*,\s*)"""
    r"""["']([A-Za-z_][A-Za-z0-9_.\[\]-]{0,60})["']"""
)
_REFERENCE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?")


@dataclass
class Route:
    template: str  # "api/subscribers/<int:pk>"
    view: Callable
    fields: list[str]


@dataclass
class Outcome:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    by_status: dict[int, int] = field(default_factory=dict)


# --- the routes and their fields ----------------------------------------------------


def walk_patterns(patterns=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from walk_patterns(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def _target(view: Callable) -> Any:
    return (
        getattr(view, "cls", None)
        or getattr(view, "view_class", None)
        or inspect.unwrap(view)
    )


def _is_project(obj: Any) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module.split(".")[0] in PROJECT_PACKAGES


def _form_fields(form_class: type) -> list[str]:
    declared = getattr(form_class, "base_fields", {})
    return list(declared)


def fields_of(view: Callable, depth: int = 2) -> list[str]:
    """Form fields and quoted names in the view and the project code it calls."""
    seen: set[int] = set()
    found: dict[str, None] = {}
    todo = [(_target(view), 0)]
    while todo:
        obj, level = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, type) and issubclass(obj, forms.BaseForm):
            found.update(dict.fromkeys(_form_fields(obj)))
            continue
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):
            continue
        for word in _READ.findall(source):
            if word not in NOT_FIELDS:
                found[word] = None
        if level and inspect.isfunction(obj):
            # A service's keyword parameters: create_subscriber(email=..., name=...).
            for param in inspect.signature(obj).parameters.values():
                if param.kind is param.KEYWORD_ONLY and param.name not in NOT_FIELDS:
                    found[param.name] = None
        if level >= depth:
            continue
        module = inspect.getmodule(obj)
        namespace = vars(module) if module else {}
        for name, attribute in dict.fromkeys(_REFERENCE.findall(source)):
            ref = namespace.get(name)
            if inspect.ismodule(ref) and attribute:
                ref = getattr(ref, attribute, None)  # tx.send_tx(...)
            if ref is None or not _is_project(ref):
                continue
            if inspect.isfunction(ref) or inspect.isclass(ref):
                todo.append((ref, level + 1))
    return list(found)


def settings_keys() -> list[str]:
    from stmails.config import REGISTRY

    return sorted(REGISTRY)


def discover_routes() -> list[Route]:
    routes = []
    for template, pattern in walk_patterns():
        fields = fields_of(pattern.callback)
        if template.startswith("api/settings"):
            fields += [k for k in settings_keys() if k not in fields]
        routes.append(Route(template, pattern.callback, fields))
    return routes


# --- the data the battery runs against ---------------------------------------------


@dataclass
class World:
    admin_client: Client
    api_client: Client
    ids: dict[str, int]
    uuids: list[str]


def build_world() -> World:
    """Principals and one row of each kind, (re)made before each route."""
    from bounces.models import Bounce
    from campaigns.models import Campaign
    from stmails.config import get_value, update_settings
    from stmails.models import ApiUser
    from stmails.services import create_api_user
    from subscribers.models import MailingList, Subscriber

    admin, _ = get_user_model().objects.get_or_create(
        username="battery-admin",
        defaults={"is_staff": True, "is_superuser": True, "is_active": True},
    )
    if not admin.is_active or not admin.is_superuser:
        admin.is_active = admin.is_superuser = admin.is_staff = True
        admin.save()
    admin_client = Client(raise_request_exception=False)
    admin_client.force_login(admin)
    ApiUser.objects.filter(name="battery-bot").delete()
    _, token = create_api_user("battery-bot")
    from tests.conftest import basic_auth

    api_client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=basic_auth("battery-bot", token),
    )
    lst, _ = MailingList.objects.get_or_create(name="Battery list")
    sub, _ = Subscriber.objects.get_or_create(
        email="battery-member@example.com", defaults={"name": "Member"}
    )
    campaign = Campaign.objects.filter(name="Battery campaign").first()
    if campaign is None:
        campaign = Campaign.objects.create(
            name="Battery campaign", subject="S", body="B", from_email=""
        )
    bounce = Bounce.objects.filter(subscriber=sub).first()
    if bounce is None:
        bounce = Bounce.objects.create(subscriber=sub, type="hard", source="api")
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.webhooks_enabled": True,
            "bounce.sendgrid_enabled": True,
            "bounce.ses_enabled": True,
        }
    )
    servers = get_value("smtp") or []
    uuids = [s.get("uuid") for s in servers if s.get("uuid")] + [str(uuid.uuid4())]
    return World(
        admin_client,
        api_client,
        {
            "list": lst.pk,
            "subscriber": sub.pk,
            "campaign": campaign.pk,
            "bounce": bounce.pk,
            "admin": admin.pk,
        },
        uuids,
    )


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def fill_paths(template: str, world: World) -> list[str]:
    """URLs for a route: real parameters, then each parameter made hostile."""

    def real(converter: str, name: str) -> str:
        if converter == "int":
            # The row kind named last before the parameter: /api/lists/<int:pk>.
            before = template.split(f"<{converter}:{name}>")[0]
            kinds = [k for k in world.ids if f"{k}s/" in before or f"{k}/" in before]
            kinds.sort(key=lambda k: before.rfind(k))
            return str(world.ids[kinds[-1]] if kinds else 1)
        if converter == "uuid":
            return world.uuids[0]
        if name == "provider":
            return "sendgrid"
        if name == "key":
            return "app.site_name"
        return "x"

    def hostile(converter: str) -> list[str]:
        if converter == "int":
            return [HUGE_TEXT, "9" * 400]
        if converter == "uuid":
            return [str(uuid.uuid4())]
        return [quote("a\u0000b"), "x" * 3000, "%C2%B2"]

    params = _PARAM.findall(template)
    base = {n: real(c, n) for c, n in params}

    def render(values: dict[str, str]) -> str:
        return "/" + _PARAM.sub(lambda m: values[m.group(2)], template)

    urls = [render(base)]
    for converter, name in params:
        for bad in hostile(converter):
            urls.append(render({**base, name: bad}))
    return urls


# --- requests -----------------------------------------------------------------------


def _json(data: Any) -> str:
    return json.dumps(data, allow_nan=True)


def _form(data: dict[str, Any]) -> str:
    def enc(value: Any) -> str:
        return quote(str(value).encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in data.items())


def structural_cases(fields: list[str]) -> list[tuple[str, bytes | str, str]]:
    """(content type, body, label): shapes no field-level check can see."""
    some = {f: PLAUSIBLE.get(f, "x") for f in fields[:20]}
    first = fields[0] if fields else "field"
    return [
        ("application/json", b"", "empty json"),
        ("application/json", DEEP_JSON, "deep json"),
        ("application/json", "{" + _json(first)[:-1] + '": ' + DEEP_JSON, "deep field"),
        ("application/json", b'{"name": "\xff\xfe\xfd"}', "bad utf-8 json"),
        ("application/json", '{"a": NaN, "b": Infinity}', "NaN"),
        ("application/json", "[1, 2]", "array"),
        ("application/json", '"text"', "string"),
        ("application/json", "1e999999", "huge float"),
        ("application/json", _json(some) + "garbage", "trailing garbage"),
        ("text/plain", _json(some), "text/plain"),
        ("application/xml", "<a>\u0000</a>", "xml"),
        (
            "application/x-www-form-urlencoded",
            b"name=%FF%FE&email=%00",
            "bad utf-8 form",
        ),
        ("application/x-www-form-urlencoded", _json(some), "json as form"),
        ("multipart/form-data; boundary=", b"--\r\ngarbage", "broken multipart"),
        (
            "multipart/form-data; boundary=BB",
            b'--BB\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\nemail,name\r\n\xff\x00@x,\x00\r\n--BB--\r\n",
            "binary upload",
        ),
    ]


def field_cases(route: Route, api: bool) -> Iterator[tuple[str, bytes | str, str]]:
    """API: one JSON body per field and value, plausible elsewhere and hostile in
    that field (hand-written parsing stops at the first bad field).

    Forms: one body per value with every field hostile, each field a different
    value of the pool (a Django form cleans every field whatever the others hold),
    so forms cost a few requests however many fields they have.
    """
    if api:
        base = {f: PLAUSIBLE.get(f, "x") for f in route.fields}
        for i, name in enumerate(route.fields):
            for k in range(VALUES_PER_FIELD):
                value = JSON_VALUES[(i + k) % len(JSON_VALUES)]
                body = {**base, name: value}
                yield "application/json", _json(body), f"{name}={value!r:.30}"
        return
    for k in range(len(TEXT_VALUES)):
        body = {
            name: TEXT_VALUES[(i + k) % len(TEXT_VALUES)]
            for i, name in enumerate(route.fields)
        }
        yield "application/x-www-form-urlencoded", _form(body), f"form values +{k}"


def query_cases(route: Route, api: bool) -> Iterator[str]:
    """Query strings: per parameter on the API, all parameters at once on pages."""
    if api:
        for i, name in enumerate(route.fields):
            yield _form({name: TEXT_VALUES[i % len(TEXT_VALUES)]})
    else:
        for k in range(len(TEXT_VALUES)):
            yield _form(
                {
                    name: TEXT_VALUES[(i + k) % len(TEXT_VALUES)]
                    for i, name in enumerate(route.fields)
                }
            )
    yield _form({"page": HUGE_TEXT, "per_page": "9" * 5000, "unknown_param": "1"})


@contextmanager
def network_cut():
    """No socket leaves the process and DNS answers NXDOMAIN, for the run."""
    from stmails.lib import dns_resolver
    from tests.monitoring.deliverability.fakes import FakeResolver

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("the bad-input battery cuts the network")

    saved = socket.create_connection
    socket.create_connection = refuse
    previous = dns_resolver.set_resolver(FakeResolver())
    try:
        yield
    finally:
        socket.create_connection = saved
        dns_resolver.set_resolver(previous)


def run_battery(routes: list[Route] | None = None) -> Outcome:
    """Send every case to every route; count requests and 5xx answers."""
    import logging

    outcome = Outcome()
    routes = routes if routes is not None else discover_routes()
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)  # the 5xx are counted, not logged
    try:
        with network_cut():
            for route in routes:
                _run_route(route, outcome)
    finally:
        request_logger.setLevel(level)
    return outcome


def _send(client: Client, method: str, url: str, outcome: Outcome, label: str, **kw):
    try:
        response = getattr(client, method)(url, **kw)
        status = response.status_code
    except Exception as err:  # noqa: BLE001 - a crash in the client counts as a 5xx
        status = 599
        label = f"{label} raised {type(err).__name__}: {err}"[:300]
    outcome.requests += 1
    outcome.by_status[status] = outcome.by_status.get(status, 0) + 1
    if status >= 500:
        outcome.server_errors.append(f"{status} {method.upper()} {url[:120]} [{label}]")
    return status


def _run_route(route: Route, outcome: Outcome) -> None:
    world = build_world()
    api = route.template.startswith(("api/", "webhooks/"))
    client = world.api_client if api else world.admin_client
    urls = fill_paths(route.template, world)
    anonymous = Client(raise_request_exception=False)
    for url in urls:
        for method in METHODS:
            _send(client, method, url, outcome, "no body")
    for method in METHODS:
        _send(anonymous, method, urls[0], outcome, "anonymous")
    url = urls[0]
    for query in query_cases(route, api):
        _send(client, "get", f"{url}?{query}", outcome, query[:40])
    for method in METHODS[1:]:
        status = _send(client, method, url, outcome, "probe")
        if status == 405:
            continue  # the route does not take this method: its body is never read
        for content_type, body, label in structural_cases(route.fields):
            _send(
                client,
                method,
                url,
                outcome,
                label,
                data=body,
                content_type=content_type,
            )
        for content_type, body, label in field_cases(route, api):
            _send(
                client,
                method,
                url,
                outcome,
                label,
                data=body,
                content_type=content_type,
            )
        if not api:
            for content_type, body, label in field_cases(route, True):
                _send(
                    client,
                    method,
                    url,
                    outcome,
                    label,
                    data=body,
                    content_type=content_type,
                )
