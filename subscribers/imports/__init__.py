"""CSV imports of subscribers.

csv_reader.py is pure (bytes in, rows and row errors out, no ORM); jobs.py is
the service (ImportJob rows, batches, progress, stop); views.py and api.py are
the UI and the listmonk-compatible API; the Celery tasks stay in
subscribers/tasks.py under their registered names.
"""
