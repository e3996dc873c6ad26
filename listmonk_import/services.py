"""The import, table by table, in the order rows point at each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from listmonk_import import reader, tracking, writer
from listmonk_import.reader import ListmonkReader, ReaderError
from listmonk_import.report import ImportReport
from stmails import config
from stmails.config import SettingsError

SETTINGS_ACTOR = "import_listmonk"


class ListmonkImportError(Exception):
    """The import cannot run (not a listmonk database, unreadable)."""


def _table(
    lm: ListmonkReader,
    report: ImportReport,
    table: str,
    write: Callable[..., Any],
    batch: int,
    **kwargs: Any,
) -> Any:
    tally = report.tally(table, lm.count(table))
    result = None
    for rows in lm.batches(table, batch):
        tally.read += len(rows)
        result = write(rows, tally, **kwargs)
        report.progress(tally.line())
    if not tally.read:
        report.progress(tally.line())
    return result


def _campaign_lists(lm: ListmonkReader) -> dict[Any, list[dict]]:
    by_campaign: dict[Any, list[dict]] = {}
    for rows in lm.batches("campaign_lists"):
        for row in rows:
            by_campaign.setdefault(row.get("campaign_uuid"), []).append(row)
    return by_campaign


def _tracking(lm: ListmonkReader, report: ImportReport, batch: int) -> None:
    found = tracking.tracking_models()
    if found is None:
        report.say(tracking.MISSING)
        return
    link_model, view_model, click_model = found
    touched: set[int] = set()
    individual = tracking.individual_tracking()
    if not individual:
        report.say(
            "views/clicks: without their subscribers (privacy.individual_tracking "
            "is off here)"
        )
    _table(lm, report, "links", tracking.links, batch, link_model=link_model)
    for table, model, links in (
        ("campaign_views", view_model, None),
        ("link_clicks", click_model, link_model),
    ):
        _table(
            lm,
            report,
            table,
            tracking.events,
            batch,
            model=model,
            touched=touched,
            link_model=links,
            individual=individual,
        )
    tracking.recount(touched)


def _bounce_settings(lm: ListmonkReader, report: ImportReport) -> None:
    """listmonk's bounce.actions (same shape) into stmails' thresholds."""
    actions = lm.setting("bounce.actions")
    if not isinstance(actions, dict):
        report.say("settings: listmonk has no bounce.actions: thresholds unchanged")
        return
    try:
        changed = config.update_settings(
            {"bounce.actions": actions}, actor=SETTINGS_ACTOR
        )
    except SettingsError as e:
        report.say(f"settings: bounce.actions not taken: {e}")
        return
    if changed:
        report.say("settings: bounce.actions (bounce thresholds) taken from listmonk")
    else:
        report.say("settings: bounce.actions already the same as listmonk's")


def run_import(
    url: str,
    *,
    progress: Callable[[str], None] = print,
    settings: bool = False,
    batch: int = reader.BATCH,
) -> ImportReport:
    """Read the listmonk database at `url` (never writing to it) into stmails.

    Idempotent: a second run finds every row and adds nothing. Raises
    ListmonkImportError when the database cannot be read as listmonk's.
    """
    report = ImportReport(progress=progress)
    try:
        conn = reader.connect(url)
    except ReaderError as e:
        raise ListmonkImportError(str(e)) from None
    try:
        lm = ListmonkReader(conn)
        missing = lm.looks_like_listmonk()
        if missing:
            raise ListmonkImportError(
                f"{reader.describe(url)} is not a listmonk database "
                f"(no table {', '.join(missing)})"
            )
        progress(f"Reading listmonk ({lm.version_hint()}) at {reader.describe(url)}")
        _table(lm, report, "subscribers", writer.subscribers, batch)
        _table(lm, report, "lists", writer.lists, batch)
        _table(lm, report, "subscriber_lists", writer.subscriptions, batch)
        template_ids = {}
        tally = report.tally("templates", lm.count("templates"))
        for rows in lm.batches("templates", batch):
            tally.read += len(rows)
            template_ids.update(writer.templates(rows, tally))
        progress(tally.line())
        _table(
            lm,
            report,
            "campaigns",
            writer.campaigns,
            batch,
            template_ids=template_ids,
            campaign_lists=_campaign_lists(lm),
        )
        _table(lm, report, "bounces", writer.bounces, batch)
        _tracking(lm, report, batch)
        if settings:
            _bounce_settings(lm, report)
    except psycopg.Error as e:
        # Rows of the batches written so far stay: a second run goes on from there.
        raise ListmonkImportError(f"reading listmonk failed: {e}") from None
    finally:
        # Nothing to commit: the transaction was read-only from the start.
        conn.rollback()
        conn.close()
    for line in report.summary():
        progress(line)
    return report
