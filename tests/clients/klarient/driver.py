"""The PyPI `klarient-listmonk` client (0.4.0) against a live stmails.

Run by tests/clients/test_klarient*.py in a child process with the client on
PYTHONPATH: `python driver.py <scenario>`, the scenario's arguments as JSON in
SCENARIO_ARGS, the server and credentials in LISTMONK_URL, LISTMONK_USER and
LISTMONK_TOKEN. Prints one JSON object: what the client's calls returned (read
through the client's own typed accessors where it has them), or
{"error", "status", "body"} for the call that raised.
"""

from __future__ import annotations

import json
import os
import sys
import time

from klarient.http.error import HTTPError
from listmonk import ListMonkClient
from listmonk.bounces.requests import BounceDeleteQuery, BounceQuery
from listmonk.campaigns.requests import (
    CampaignArchiveUpdate,
    CampaignContentType,
    CampaignCreate,
    CampaignDeleteQuery,
    CampaignQuery,
    CampaignRunningStatsQuery,
    CampaignStatus,
    CampaignStatusUpdate,
    CampaignTest,
    CampaignUpdate,
)
from listmonk.common import (
    CreateSubscriberStatus,
    ListOptin,
    ListStatus,
    ListType,
    PerPage,
    SortOrder,
    SubscriberStatus,
    SubscriptionStatus,
)
from listmonk.imports.requests import (
    ImportMode,
    SubscriberImport,
    SubscriberImportParams,
)
from listmonk.lists.requests import ListCreate, ListDeleteQuery, ListQuery, ListUpdate
from listmonk.public.requests import PublicSubscription, PublicSubscriptionForm
from listmonk.subscribers.requests import (
    ListMembershipAction,
    QueryListMembershipUpdate,
    SubscriberCreate,
    SubscriberDeleteQuery,
    SubscriberIds,
    SubscriberListMembershipUpdate,
    SubscriberOrderBy,
    SubscriberQuery,
    SubscriberQueryBlocklist,
    SubscriberQueryDelete,
    SubscriberSQLQuery,
    SubscriberUpdate,
)
from listmonk.templates.requests import TemplateCreate, TemplateType, TemplateUpdate
from listmonk.transactional.requests import (
    TransactionalMessage,
    TransactionalSubscriberMode,
)

client = ListMonkClient(
    base_url=os.environ["LISTMONK_URL"],
    username=os.environ["LISTMONK_USER"],
    access_token=os.environ["LISTMONK_TOKEN"],
)
args = json.loads(os.environ.get("SCENARIO_ARGS") or "{}")


def emails(subscribers) -> list[str]:
    return sorted(s.email for s in subscribers)


def make_list(name: str, **kw) -> dict:
    return client.lists.create(ListCreate(name=name, **kw)).data


def make_subscriber(email: str, **kw) -> dict:
    options = SubscriberCreate(email=email, status=CreateSubscriberStatus.ENABLED, **kw)
    return client.subscribers.create(options).data


def lists() -> dict:
    news = make_list(
        "News",
        type=ListType.PUBLIC,
        optin=ListOptin.DOUBLE,
        tags=["weekly"],
        description="The weekly news",
    )
    make_list("Offers", type=ListType.PRIVATE, optin=ListOptin.SINGLE)
    make_list("Old", type=ListType.PRIVATE, status=ListStatus.ARCHIVED)
    updated = client.lists[news.id].update(
        ListUpdate(name="News (weekly)", type=ListType.PUBLIC, optin=ListOptin.DOUBLE)
    )
    by_query = client.lists.retrieve(ListQuery(query="offers", per_page=PerPage.ALL))
    archived = client.lists.retrieve(ListQuery(status=ListStatus.ARCHIVED))
    # per_page=1: the client follows the pages itself.
    every = list(client.lists.retrieve(ListQuery(per_page=1)).items())
    one = client.lists[news.id].retrieve().data
    deleted_query = client.lists.delete(ListDeleteQuery(query="Old")).data
    offers = [lst.id for lst in by_query.list()]
    deleted_ids = client.lists.delete(ListDeleteQuery(ids=offers)).data
    deleted_one = client.lists[news.id].delete().data
    return {
        "created": {
            "name": news.name,
            "type": str(news.type),
            "optin": str(news.optin),
            "tags": news.tags,
        },
        "updated_name": updated.data.name,
        "by_query": [lst.name for lst in by_query.list()],
        "archived": [lst.name for lst in archived.list()],
        "every": sorted(lst.name for lst in every),
        "one": {"id": one.id, "uuid": one.uuid, "count": one.subscriber_count},
        "deleted": [deleted_query, deleted_ids, deleted_one],
        "left": [lst.name for lst in client.lists.retrieve().list()],
    }


def subscribers_crud() -> dict:
    news = make_list("News", type=ListType.PUBLIC, optin=ListOptin.SINGLE)
    ann = make_subscriber(
        "ann@example.com",
        name="Ann",
        lists=[news.id],
        attribs={"city": "Oslo"},
        preconfirm_subscriptions=True,
    )
    got = client.subscribers[ann.id].retrieve().data
    put = (
        client.subscribers[ann.id]
        .update(
            SubscriberUpdate(
                email="ann@example.org",
                name="Ann B",
                status=SubscriberStatus.ENABLED,
                lists=[news.id],
                attribs={"city": "Bergen"},
            )
        )
        .data
    )
    patched = (
        client.subscribers[ann.id].update_partial(SubscriberUpdate(name="Ann C")).data
    )
    disabled = (
        client.subscribers[ann.id]
        .update_partial(SubscriberUpdate(status=SubscriberStatus.DISABLED))
        .data
    )
    bob = make_subscriber("bob@example.com", name="Bob")
    cy = make_subscriber("cy@example.com", name="Cy")
    deleted_many = client.subscribers.delete(
        SubscriberDeleteQuery(ids=[bob.id, cy.id])
    ).data
    deleted_one = client.subscribers[ann.id].delete().data
    return {
        "created": {
            "email": ann.email,
            "name": ann.name,
            "status": str(ann.status),
            "attribs": ann.attribs,
            "lists": [(s.id, str(s.subscription_status)) for s in ann.lists],
        },
        "got": {"id": got.id, "uuid": got.uuid, "email": got.email},
        "put": {"email": put.email, "name": put.name, "attribs": put.attribs},
        "patched": {"name": patched.name, "attribs": patched.attribs},
        "disabled": str(disabled.status),
        "deleted": [deleted_many, deleted_one],
        "left": emails(client.subscribers.retrieve().list()),
    }


def lookups() -> dict:
    news = make_list("News", type=ListType.PUBLIC, optin=ListOptin.SINGLE)
    ann = make_subscriber(
        "ann@example.com",
        name="Ann",
        lists=[news.id],
        attribs={"city": "Oslo"},
        preconfirm_subscriptions=True,
    )
    make_subscriber("bob@example.com", name="Bob", attribs={"city": "Bergen"})
    make_subscriber(
        "cy@example.net", name="Cy", lists=[news.id], attribs={"city": "Oslo"}
    )

    def query(text: str) -> list[str]:
        return emails(client.subscribers.retrieve(SubscriberQuery(query=text)).list())

    def sql(text: str) -> list[str]:
        return emails(
            client.subscribers.sql_query.retrieve(SubscriberSQLQuery(query=text)).list()
        )

    listed = client.subscribers.retrieve(
        SubscriberQuery(
            list_id=[news.id],
            subscription_status=SubscriptionStatus.CONFIRMED,
            order_by=SubscriberOrderBy.CREATED_AT,
            order=SortOrder.DESC,
        )
    )
    return {
        "by_email": query("subscribers.email = 'ANN@example.com'"),
        "by_id": query(f"subscribers.id = {ann.id}"),
        "by_uuid": sql(f"subscribers.uuid = '{ann.uuid}'"),
        "by_attrib": sql(
            "subscribers.attribs->>'city' = 'Oslo' AND subscribers.email LIKE '%.com'"
        ),
        "by_list": [s.email for s in listed.list()],
        "paged": emails(
            client.subscribers.retrieve(SubscriberQuery(per_page=1)).items()
        ),
        "total": listed.info.total_items,
    }


def membership_and_blocklist() -> dict:
    news = make_list("News", type=ListType.PUBLIC, optin=ListOptin.SINGLE)
    offers = make_list("Offers", type=ListType.PRIVATE, optin=ListOptin.SINGLE)
    ann = make_subscriber("ann@example.com", name="Ann")
    bob = make_subscriber("bob@example.com", name="Bob")
    cy = make_subscriber("cy@example.com", name="Cy")
    dee = make_subscriber("dee@example.com", name="Dee")
    results = [
        client.subscribers.lists.update(
            SubscriberListMembershipUpdate(
                ids=[ann.id, bob.id, cy.id],
                action=ListMembershipAction.ADD,
                target_list_ids=[news.id, offers.id],
                status=SubscriptionStatus.CONFIRMED,
            )
        ).data,
        client.subscribers.lists.update(
            SubscriberListMembershipUpdate(
                ids=[bob.id],
                action=ListMembershipAction.UNSUBSCRIBE,
                target_list_ids=[news.id],
            )
        ).data,
        client.subscribers.query.lists.update(
            QueryListMembershipUpdate(
                action=ListMembershipAction.REMOVE,
                target_list_ids=[offers.id],
                query="subscribers.email = 'cy@example.com'",
            )
        ).data,
        client.subscribers[ann.id].blocklist.blocklist().data,
        client.subscribers.blocklist.blocklist(SubscriberIds(ids=[bob.id])).data,
        client.subscribers.query.blocklist.blocklist(
            SubscriberQueryBlocklist(query="subscribers.name = 'Cy'")
        ).data,
        client.subscribers.query.delete.delete(
            SubscriberQueryDelete(query=f"subscribers.id = {dee.id}")
        ).data,
    ]
    after = {
        s.email: {
            "status": str(s.status),
            "lists": sorted((x.name, str(x.subscription_status)) for x in s.lists),
        }
        for s in client.subscribers.retrieve(
            SubscriberQuery(per_page=PerPage.ALL)
        ).list()
    }
    return {"results": results, "after": after}


def subscriber_extras() -> dict:
    news = make_list("News", type=ListType.PUBLIC, optin=ListOptin.DOUBLE)
    ann = make_subscriber("ann@example.com", name="Ann", lists=[news.id])
    export = client.subscribers[ann.id].export.retrieve()
    bounces = client.subscribers[ann.id].bounces.retrieve()
    return {
        "export_profile": [p.get("email") for p in export.profile],
        "export_subscriptions": [dict(s) for s in export.subscriptions],
        "bounces": bounces.get("data"),
        "optin": client.subscribers[ann.id].optin.send().data,
    }


def subscriber_bounces() -> dict:
    one = client.subscribers[args["id"]].bounces
    before = one.retrieve().get("data")
    deleted = one.delete().data
    return {
        "before": [{"type": b.get("type"), "source": b.get("source")} for b in before],
        "deleted": deleted,
        "after": one.retrieve().get("data"),
    }


def public() -> dict:
    news = make_list("News", type=ListType.PUBLIC, optin=ListOptin.SINGLE)
    make_list("Staff", type=ListType.PRIVATE, optin=ListOptin.SINGLE)
    offered = client.public.lists.retrieve()
    json_body = client.public.subscription.create(
        PublicSubscription(email="pub@example.com", name="Pub", list_uuids=[news.uuid])
    ).data
    form = client.public.subscription.create_form(
        PublicSubscriptionForm(
            email="form@example.com", name="Form", list_uuids=[news.uuid]
        )
    ).data
    return {
        "offered": [{"uuid": x.uuid, "name": x.name} for x in offered],
        "results": [json_body, form],
        "news_uuid": news.uuid,
    }


def import_csv() -> dict:
    news = make_list("News", type=ListType.PRIVATE, optin=ListOptin.SINGLE)
    csv = (
        b'email,name,attributes\nimp1@example.com,Imp One,"{""plan"": ""pro""}"\n'
        b"imp2@example.com,Imp Two,\nnot-an-address,Bad,\n"
    )
    params = SubscriberImportParams(
        mode=ImportMode.SUBSCRIBE,
        delim=",",
        lists=[news.id],
        overwrite=True,
        subscription_status=SubscriptionStatus.CONFIRMED,
    )
    upload = client.imports.subscribers.upload(
        SubscriberImport(params=params, file=csv)
    )
    status = client.imports.subscribers.retrieve().data
    for _ in range(100):  # the import runs in the worker (eager under the tests)
        if status.get("status") not in ("importing", "queued"):
            break
        time.sleep(0.1)
        status = client.imports.subscribers.retrieve().data
    logs = client.imports.subscribers.logs.retrieve().data
    imported = client.subscribers.retrieve(SubscriberQuery(list_id=[news.id])).list()
    stopped = client.imports.subscribers.delete().data
    return {
        "upload": {"mode": upload.mode, "delim": upload.delim, "lists": upload.lists},
        "upload_data": upload.get("data"),
        "status": dict(status),
        "logs": logs,
        "imported": {s.email: s.attribs for s in imported},
        "stopped": dict(stopped),
    }


def bounces() -> dict:
    listed = client.bounces.retrieve(BounceQuery(per_page=50)).list()
    first = {
        "email": listed[0].email,
        "type": str(listed[0].type),
        "source": listed[0].source,
        "subscriber_id": listed[0].subscriber_id,
        "subscriber_uuid": listed[0].subscriber_uuid,
    }
    by_source = client.bounces.retrieve(BounceQuery(source=args["source"])).list()
    deleted_one = client.bounces[listed[0].id].delete().data
    deleted_ids = client.bounces.delete(BounceDeleteQuery(ids=[listed[1].id])).data
    left = len(client.bounces.retrieve().list())
    deleted_all = client.bounces.delete(BounceDeleteQuery(all=True)).data
    return {
        "count": len(listed),
        "first": first,
        "by_source": len(by_source),
        "deleted": [deleted_one, deleted_ids, deleted_all],
        "left_after_two": left,
        "left": len(client.bounces.retrieve().list()),
    }


def templates() -> dict:
    created = client.templates.create(
        TemplateCreate(
            name="Plain",
            type=TemplateType.CAMPAIGN,
            body='<main>{{ template "content" . }}</main>',
        )
    ).data
    tx = client.templates.create(
        TemplateCreate(
            name="Receipt",
            type=TemplateType.TRANSACTIONAL,
            subject="Order {{ .Tx.Data.order }}",
            body="<p>Order {{ .Tx.Data.order }}</p>",
        )
    ).data
    updated = (
        client.templates[created.id]
        .update(
            TemplateUpdate(name="Plainer", body='<div>{{ template "content" . }}</div>')
        )
        .data
    )
    preview = client.templates[created.id].preview.retrieve()
    default = client.templates[created.id].default.update().data
    listed = client.templates.retrieve()
    deleted = client.templates[tx.id].delete().data
    return {
        "created": [created.name, str(created.type)],
        "updated": updated.name,
        "preview": str(preview)[:2000],
        "default": bool(default.get("is_default")),
        "listed": sorted(t.name for t in listed.data),
        "deleted": deleted,
    }


def campaigns() -> dict:
    news = make_list("News", type=ListType.PRIVATE, optin=ListOptin.SINGLE)
    make_subscriber(
        "ann@example.com", name="Ann", lists=[news.id], preconfirm_subscriptions=True
    )
    created = client.campaigns.create(
        CampaignCreate(
            name="Hello",
            subject="Hello {{ .Subscriber.Name }}",
            lists=[news.id],
            content_type=CampaignContentType.RICHTEXT,
            body="<p>Hi</p>",
            tags=["t1"],
        )
    ).data
    # The typed accessors first: they read listmonk's integer counters.
    counters = {
        "views": created.views,
        "clicks": created.clicks,
        "bounces": created.bounces,
    }
    got = client.campaigns[created.id].retrieve().data
    updated = (
        client.campaigns[created.id]
        .update(
            CampaignUpdate(
                name="Hello again", subject="Hi", lists=[news.id], body="<p>Hey</p>"
            )
        )
        .data
    )
    listed = client.campaigns.retrieve(
        CampaignQuery(per_page=PerPage.ALL, no_body=True)
    ).list()
    preview = client.campaigns[created.id].preview.retrieve()
    tested = (
        client.campaigns[created.id]
        .test.send(CampaignTest(subscribers=["ann@example.com"]))
        .data
    )
    archived = client.campaigns[created.id].archive.update(
        CampaignArchiveUpdate(archive=True, archive_slug="hello-again")
    )
    started = (
        client.campaigns[created.id]
        .status.update(CampaignStatusUpdate(status=CampaignStatus.RUNNING))
        .data
    )
    stats = client.campaigns.running.stats.retrieve(
        CampaignRunningStatsQuery(campaign_ids=[created.id])
    )
    other = client.campaigns.create(
        CampaignCreate(name="Other", subject="S", lists=[news.id], body="<p>x</p>")
    ).data
    deleted = client.campaigns[created.id].delete().data
    deleted_ids = client.campaigns.delete(CampaignDeleteQuery(ids=[other.id])).data
    return {
        "created": {"name": created.name, **counters},
        "got": got.name,
        "updated": updated.name,
        "listed": [c.name for c in listed],
        "preview": str(preview)[:500],
        "tested": tested,
        "archived": str(archived)[:500],
        "started": str(started.status),
        "stats": str(stats)[:500],
        "deleted": [deleted, deleted_ids],
        "left": len(client.campaigns.retrieve().list()),
    }


def tx() -> dict:
    sent = client.tx.send(
        TransactionalMessage(
            subscriber_email=args["to"],
            template_id=args["template_id"],
            data={"order": 42},
            subscriber_mode=TransactionalSubscriberMode.FALLBACK,
        )
    ).data
    return {"sent": sent}


SCENARIOS = {
    f.__name__: f
    for f in (
        lists,
        subscribers_crud,
        lookups,
        membership_and_blocklist,
        subscriber_extras,
        subscriber_bounces,
        public,
        import_csv,
        bounces,
        templates,
        campaigns,
        tx,
    )
}


def main() -> None:
    try:
        answer = SCENARIOS[sys.argv[1]]()
    except HTTPError as err:
        answer = {
            "error": type(err).__name__,
            "request": f"{err.method} {err.url}",
            "status": err.status_code,
            "body": err.response.text[:2000] if err.response is not None else "",
        }
    except Exception as err:  # noqa: BLE001 (the test reads what the client raised)
        answer = {"error": f"{type(err).__name__}: {err}"[:2000]}
    print(json.dumps(answer, default=str))


if __name__ == "__main__":
    main()
