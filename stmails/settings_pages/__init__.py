"""The core's Settings pages (views.py, forms.py, urls.py, mounted at settings/)
and the settings API (api.py, api_urls.py: GET/PUT /api/settings), both over the
registry in stmails.config. The keys themselves are declared in
stmails/settings_keys.py, which discovery finds by that name.
"""
