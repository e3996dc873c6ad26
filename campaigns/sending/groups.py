"""Sending a chunk group by group (above pace.GROUP_ABOVE messages/s).

Each group's rows are claimed as "sent" with their Message-IDs, and the group
written down, in one statement before its first message goes out (one write
a row, not two); the next claim drops the previous group, all its messages
answered (ledger.claim_group). A refusal or a broken connection puts the row
right at once. A worker killed mid-group leaves its group behind: its rows
stay "sent", never sent twice, and recover_stalled marks them unconfirmed
(campaigns.sending.engine's crash policy). Where the server offers PIPELINING, the group goes out with one
round trip a message (smtp.send_pipelined); otherwise message by message.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from campaigns.sending import ledger
from campaigns.sending.queue import Queued
from campaigns.sending.smtp import Broken, can_pipeline, send_pipelined
from stmails.outbox import SendFailure
from stmails.smtp_check import describe_error

# The sender's Run (campaigns.sending.sender imports this module, not the
# other way round).
Run = Any


def send_groups(run: Run, ready: list[tuple[Queued, dict]]) -> bool:
    """False when no server could be reached (the rest waits)."""
    for start in range(0, len(ready), run.group):
        if run.conn is None and not run.connect():
            return False
        group = [
            (delivery, delivery.attempts + 1, run.try_compose(delivery, sub))
            for delivery, sub in ready[start : start + run.group]
        ]
        run.group_id, claimed = ledger.claim_group(
            run.campaign.pk,
            [
                (d.pk, attempt, "" if isinstance(c, SendFailure) else c[0])
                for d, attempt, c in group
            ],
            timezone.now(),
            run.group_id,
        )
        todo = []
        for delivery, attempt, composed in group:
            if delivery.pk not in claimed:
                continue
            if isinstance(composed, SendFailure):
                run.record_failure(
                    delivery, attempt, composed, final=True, in_group=True
                )
            else:
                todo.append((delivery, attempt, composed))
        if todo and can_pipeline(run.conn, [(c[2], d.email) for d, _, c in todo]):
            _pipelined(run, todo)
        else:
            _one_by_one(run, todo)
        if len(claimed) < len(group):
            run.queue.skip_part()  # another slot works on this part
            return True
    return True


def _one_by_one(run: Run, todo: list) -> None:
    for at, (delivery, attempt, composed) in enumerate(todo):
        if run.conn is None:  # lost mid-group: the rest waits, unspent
            ledger.release_group([(d.pk, a) for d, a, _ in todo[at:]])
            return
        run.pacer.wait()
        try:
            run.send_one(delivery, attempt, composed, in_group=True)
        finally:
            run.pacer.finished()


def _pipelined(run: Run, todo: list) -> None:
    messages = [(c[2], d.email, c[1]) for d, _, c in todo]
    try:
        outcomes = send_pipelined(
            run.conn,
            messages,
            lambda k: run.pacer.wait(),
            lambda k: run.pacer.finished(),
        )
        broken = None
    except Broken as e:
        outcomes, broken = e.done, e
    for (delivery, attempt, _), outcome in zip(todo, outcomes, strict=False):
        if isinstance(outcome, SendFailure):
            run.record_failure(delivery, attempt, outcome, in_group=True)
        else:
            run.sent_in_group(delivery, attempt, *outcome)
    if broken is None:
        return
    run.disconnect()
    rest = todo[len(outcomes) :]
    if broken.in_flight is not None:  # its data went out, no answer came
        delivery, attempt, _ = rest.pop(0)
        server = run.server or {}
        error = describe_error(
            broken.error, server.get("host", ""), server.get("port", 0)
        )
        run.record_failure(delivery, attempt, SendFailure(error), in_group=True)
    ledger.release_group([(d.pk, a) for d, a, _ in rest])
