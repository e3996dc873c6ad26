"""Bounce mailboxes (POP3/IMAP), Settings → Bounces → Mailboxes.

validation.py  the shape of a bounce.mailboxes item (keys: bounces/settings_keys.py)
client.py      connect, list, fetch, delete/move/flag: only moves bytes
scanning.py    one scan of one mailbox: fetch -> batches -> dispose; locks, progress
batches.py     one batch in one transaction: parse, match, record; ScanResult
forms.py views.py urls.py   the settings pages (mounted at settings/)

The Celery tasks stay in bounces/tasks.py under their names
(bounces.tasks.scan_due_mailboxes, bounces.tasks.scan_mailbox).
"""
