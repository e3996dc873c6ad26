"""View and click tracking: the public endpoints store a raw hit with one
INSERT and answer at once; `fold` later turns hits into campaign_views and
link_clicks rows (bots flagged) and refreshes the campaigns' counters.
See docs/campaigns/tracking.md."""
