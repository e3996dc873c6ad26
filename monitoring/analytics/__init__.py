"""Campaign analytics: views, clicks, bounces and top links over time, for the
API (listmonk's /api/campaigns/analytics/...), the Analytics page and the
campaign page. It reads campaigns' and bounces' tables, so it lives here."""
