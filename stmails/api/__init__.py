"""What every /api view shares: listmonk's error bodies (errors.py), paging
(paging.py), size-checked parsers (parsers.py), the schemas views declare
(schema.py) and the OpenAPI description built from them (openapi.py, served by
openapi_views.py); urls.py is the route table under /api/.

This file imports nothing: drf-spectacular imports openapi.py from the settings
while openapi_views.py is being defined, and errors.py is loaded by DRF itself.
"""
