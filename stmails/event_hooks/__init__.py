"""Outgoing event webhooks: admin-set endpoints that get signed POSTs
(Standard Webhooks) when subscribers are blocklisted, unsubscribed or deleted
and when a bounce is recorded.

services.py: the event types, emit (rows written in the caller's transaction,
enqueued on commit) and the endpoints' create / rotate / test / retry;
delivery.py: one POST per row, retries and the beat sweep (the row is the
queue); forms.py and views.py: Settings → Event webhooks.
"""
