from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        # tasks registers the Celery tasks that services enqueue by name
        # (stmails.durable_queue.send_task). settings_keys.py is found by
        # stmails.config.discovery.
        from campaigns import tasks  # noqa: F401
        from campaigns.tracking.activity import subscriber_tracking
        from subscribers.activity import register_tracking_reader

        # subscribers' export and activity read views and clicks through it.
        register_tracking_reader(subscriber_tracking)
