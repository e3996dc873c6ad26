"""Settings → Bounces: the page and its URLs (the keys: bounces/settings_keys.py)."""
