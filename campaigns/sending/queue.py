"""A sending slot's view of a campaign's queue: the next chunk of queued rows
(by keyset, part by part) and which of their subscribers may still get it."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Value
from django.db.models.functions import Mod

from campaigns.models import Campaign, Delivery
from campaigns.sending import engine
from subscribers.models import Subscriber


class Queued(NamedTuple):
    """A queued delivery row, as the sender reads it."""

    pk: int
    subscriber_id: int
    email: str
    attempts: int


class Queue:
    def __init__(self, campaign: Campaign, slot: int, slots: int, list_ids: list[int]):
        self.campaign, self.slots, self.list_ids = campaign, slots, list_ids
        self.part = slot % slots  # the part of the rows this slot works on
        self.after: dict[int, int] = {}  # part -> the last row id fetched (keyset)

    def skip_part(self) -> None:
        """Another slot works on this part: leave it the rest."""
        self.part = (self.part + 1) % self.slots

    def next_chunk(self, limit: int) -> list[Queued]:
        """Queued rows of the part this slot works on, else of the next part
        that has any; [] when none has. By keyset (rows after the last one
        fetched), then once more from the start of the part for rows queued
        again (a temporary error) behind it."""
        for _ in range(self.slots):
            rows = Delivery.objects.filter(
                campaign=self.campaign, status=Delivery.Status.QUEUED
            )
            if self.slots > 1:
                rows = rows.annotate(part=Mod("id", Value(self.slots))).filter(
                    part=self.part
                )
            rows = rows.order_by("id").values_list(
                "id", "subscriber_id", "email", "attempts"
            )
            after = self.after.get(self.part, 0)
            chunk = [Queued(*row) for row in rows.filter(id__gt=after)[:limit]]
            if not chunk and after:
                chunk = [Queued(*row) for row in rows[:limit]]
            if chunk:
                self.after[self.part] = chunk[-1].pk
                return chunk
            self.skip_part()
        return []

    def subscribers(self, chunk: list[Queued]) -> dict[int, dict]:
        """Chunk subscribers still eligible now (a bounce may have blocklisted
        one): id -> id, uuid, email, name, attribs."""
        ids = [d.subscriber_id for d in chunk]
        optin = self.campaign.type == Campaign.Type.OPTIN
        eligible = engine.eligible_subscriptions(self.list_ids, optin=optin).filter(
            subscriber_id__in=ids
        )
        return {
            s["id"]: s
            for s in Subscriber.objects.filter(
                pk__in=eligible.values("subscriber_id")
            ).values("id", "uuid", "email", "name", "attribs")
        }
