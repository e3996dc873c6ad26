"""Exact subscriber counts kept by PostgreSQL itself (subscribers.tallies).

Statement triggers on subscribers add, in the writer's transaction, one row per
block of 10,000 ids and status that a statement changed (inserted rows count +1,
deleted ones -1, an update of the status -1 for the old and +1 for the new), so
every snapshot sees tallies that match the table. Transition tables make a bulk
INSERT ... SELECT of a million rows cost one grouped insert, not a million. Only
inserts into subscriber_tallies: writers never wait on each other for a counter
row (subscribers.tallies.compact folds the rows later).

Other databases get the table and no triggers: they count the table instead.
"""

from django.db import migrations, models

# 10,000 ids a bucket: subscribers.tallies.BUCKET must stay equal.
FUNCTIONS = [
    """
CREATE FUNCTION subscriber_tallies_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subscriber_tallies (bucket, status, n)
    SELECT id / 10000, status, count(*) FROM tally_new GROUP BY 1, 2;
    RETURN NULL;
END $$""",
    """
CREATE FUNCTION subscriber_tallies_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subscriber_tallies (bucket, status, n)
    SELECT id / 10000, status, -count(*) FROM tally_old GROUP BY 1, 2;
    RETURN NULL;
END $$""",
    """
CREATE FUNCTION subscriber_tallies_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most updates leave the status (and never change the id): nothing to add.
    INSERT INTO subscriber_tallies (bucket, status, n)
    SELECT bucket, status, sum(n) FROM (
        SELECT id / 10000 AS bucket, status, -1 AS n FROM tally_old
        UNION ALL
        SELECT id / 10000, status, 1 FROM tally_new
    ) changes
    GROUP BY 1, 2 HAVING sum(n) <> 0;
    RETURN NULL;
END $$""",
    """
CREATE FUNCTION subscriber_tallies_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM subscriber_tallies;
    RETURN NULL;
END $$""",
]
# Creating the triggers locks out writers until the migration commits, so the
# backfill below counts exactly the rows the triggers did not see.
TRIGGERS = [
    """CREATE TRIGGER subscriber_tallies_insert AFTER INSERT ON subscribers
    REFERENCING NEW TABLE AS tally_new
    FOR EACH STATEMENT EXECUTE FUNCTION subscriber_tallies_insert()""",
    """CREATE TRIGGER subscriber_tallies_delete AFTER DELETE ON subscribers
    REFERENCING OLD TABLE AS tally_old
    FOR EACH STATEMENT EXECUTE FUNCTION subscriber_tallies_delete()""",
    """CREATE TRIGGER subscriber_tallies_update AFTER UPDATE ON subscribers
    REFERENCING OLD TABLE AS tally_old NEW TABLE AS tally_new
    FOR EACH STATEMENT EXECUTE FUNCTION subscriber_tallies_update()""",
    """CREATE TRIGGER subscriber_tallies_truncate AFTER TRUNCATE ON subscribers
    FOR EACH STATEMENT EXECUTE FUNCTION subscriber_tallies_truncate()""",
]
BACKFILL = """
INSERT INTO subscriber_tallies (bucket, status, n)
SELECT id / 10000, status, count(*) FROM subscribers GROUP BY 1, 2
"""
KINDS = ("insert", "delete", "update", "truncate")


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # One statement a call: several would not go through a prepared statement.
        for sql in [*FUNCTIONS, *TRIGGERS, BACKFILL]:
            schema_editor.execute(sql, None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for kind in KINDS:
            name = f"subscriber_tallies_{kind}"
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON subscribers", None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()", None)


class Migration(migrations.Migration):

    dependencies = [
        ("subscribers", "0005_list_status"),
    ]

    operations = [
        migrations.CreateModel(
            name="SubscriberTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("bucket", models.BigIntegerField()),
                ("status", models.CharField(max_length=20)),
                ("n", models.BigIntegerField()),
            ],
            options={
                "db_table": "subscriber_tallies",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
