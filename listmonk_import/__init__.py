"""`manage.py import_listmonk`: bring a listmonk database over to stmails.

The top layer: it writes subscribers, campaigns and bounces. reader.py reads
listmonk (psycopg, read-only), mapping.py turns its rows into stmails fields
(pure), writer.py and tracking.py write them (ORM), services.py runs the lot.
"""
