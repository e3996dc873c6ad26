"""The campaigns app's one error (pretix's OrderError role)."""

from __future__ import annotations


class CampaignError(Exception):
    """A message safe to show users; `field` names the input at fault and
    `status` is the HTTP status the API answers with."""

    def __init__(self, field: str, message: str, *, status: int = 400):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.status = status
