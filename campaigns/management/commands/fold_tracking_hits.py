"""Count the tracking endpoints' raw hits now (what the beat job does every 10 s).

python manage.py fold_tracking_hits [--dry-run]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from campaigns.tracking.fold import fold_hits
from campaigns.tracking.models import TrackingHit


class Command(BaseCommand):
    help = "Fold raw view and click hits into campaign_views and link_clicks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="only say how many hits wait"
        )

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            self.stdout.write(f"{TrackingHit.objects.count()} hits waiting")
            return
        result = fold_hits(max_batches=10_000)
        self.stdout.write(
            f"{result.hits} hits: {result.views} views, {result.clicks} clicks "
            f"({result.flagged} flagged as bots), {result.dropped} dropped; "
            f"{len(result.campaign_ids)} campaigns recounted"
        )
