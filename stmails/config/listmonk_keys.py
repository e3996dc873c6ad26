"""listmonk's settings keys (v6: GET /api/settings of a fresh install), for the
settings reference's "listmonk settings" section: which ones stmails
implements is read from the registry, so the page cannot go stale.

tests/fixtures/listmonk/settings.json holds the full map with listmonk's
defaults; tests/stmails/test_listmonk_settings.py keeps this list equal to it.
"""

from __future__ import annotations

LISTMONK_KEYS = (
    "app.site_name", "app.root_url", "app.logo_url", "app.favicon_url",
    "app.from_email", "app.notify_emails", "app.enable_public_subscription_page",
    "app.enable_public_archive", "app.enable_public_archive_rss_content",
    "app.show_optin_page", "app.send_optin_confirmation", "app.check_updates",
    "app.lang", "app.batch_size", "app.concurrency", "app.max_send_errors",
    "app.message_rate", "app.cache_slow_queries",
    "app.cache_slow_queries_interval", "app.message_sliding_window",
    "app.message_sliding_window_duration", "app.message_sliding_window_rate",
    "privacy.individual_tracking", "privacy.disable_tracking",
    "privacy.unsubscribe_header", "privacy.allow_blocklist",
    "privacy.allow_preferences", "privacy.allow_export", "privacy.allow_wipe",
    "privacy.exportable", "privacy.record_optin_ip", "privacy.domain_blocklist",
    "privacy.domain_allowlist", "security.captcha", "security.oidc",
    "security.trusted_urls", "upload.provider", "upload.extensions",
    "upload.filesystem.upload_path", "upload.filesystem.upload_uri",
    "upload.s3.url", "upload.s3.public_url", "upload.s3.aws_access_key_id",
    # Not in a fresh install's answer: listmonk leaves it out while empty.
    "upload.s3.aws_secret_access_key",
    "upload.s3.aws_default_region", "upload.s3.bucket",
    "upload.s3.bucket_domain", "upload.s3.bucket_path", "upload.s3.bucket_type",
    "upload.s3.expiry", "smtp", "messengers", "bounce.enabled",
    "bounce.webhooks_enabled", "bounce.actions", "bounce.ses_enabled",
    "bounce.sendgrid_enabled", "bounce.sendgrid_key", "bounce.azure",
    "bounce.postmark", "bounce.forwardemail", "bounce.lettermint",
    "bounce.mailboxes", "maintenance.db", "appearance.admin.custom_css",
    "appearance.admin.custom_js", "appearance.public.custom_css",
    "appearance.public.custom_js",
)  # fmt: skip

# listmonk's fields of each `smtp` server, and what stmails does with them.
SMTP_FIELDS = {
    "name": "kept and shown (stmails has no other messengers to tell apart)",
    "msg_retry_delay": "pause of the sending slot after a failed attempt that "
    'is retried (campaigns; at most 10 s), e.g. "10ms"',
    "from_addresses": "routing by From address: mail whose From address or "
    "domain is listed goes through this server; other mail through the "
    "servers without `from_addresses` (through any enabled server when every "
    "one has a list)",
}
