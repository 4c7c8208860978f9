"""Schema migrations: the revisions build exactly the models' tables, and pre-migration databases are adopted."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from posterbooth.db import Database
from posterbooth.migrate import BASELINE, current, head, pending, upgrade
from posterbooth.models import Base, Participation

ADDED_LATER = ("provider_submissions", "retries", "inputs", "inputs_deleted_at", "poster_deleted_at")
#: What revisions after the baseline add, absent from a Posterbooth 0.1 database: 0002 the console's answer steps,
#: 0003 the content id, 0004 caps and budgets, 0005 the event wall, 0006 campaign versions,
#: 0007 poster versions (edits).
EVENT_COLUMNS_ADDED_LATER = ("step",)
AFTER_BASELINE_INDEXES = ("ix_participations_campaign_attendee", "ix_participations_campaign_day",
                          "ix_participations_wall", "ix_participations_wall_approved", "ix_participations_content_id")
AFTER_BASELINE_COLUMNS = ("content_id", "attendee", "cap_day", "cost_milli", "wall_status", "wall_decided_at",
                          "campaign_version", "chat_id", "chosen_version")


def test_the_migrations_build_exactly_the_tables_the_models_describe(database_url):
    upgrade(database_url)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_a_database_made_before_migrations_is_adopted_and_keeps_its_rows(database_url):
    old = Database(database_url)
    # What Posterbooth 0.1 did at start-up: its two tables, the newest of its columns added later still missing.
    tables = Base.metadata.tables
    Base.metadata.create_all(old.engine, tables=[tables["participations"], tables["events"]])
    with old.engine.begin() as connection:
        for name in AFTER_BASELINE_INDEXES:
            connection.execute(text(f'DROP INDEX "{name}"'))
        for name in (*ADDED_LATER, *AFTER_BASELINE_COLUMNS):
            connection.execute(text(f'ALTER TABLE participations DROP COLUMN "{name}"'))
        for name in EVENT_COLUMNS_ADDED_LATER:
            connection.execute(text(f'ALTER TABLE events DROP COLUMN "{name}"'))
        connection.execute(text(
            "INSERT INTO participations (public_id, share_token, referral_code, submission_key, campaign, device_id,"
            " locale, answers, outcome, style, prompt, negative_prompt, seed, provider, provider_model,"
            " provider_job_id, status, attempts, error_code, error_detail, image_path, poster_path,"
            " share_card_path, base_url, channel, hidden, created_at) VALUES ('p', 's', 'r', 'k', 'spring-outing',"
            " 'd', 'zh-CN', '{}', 'xihu', '', 'prompt', '', 1, 'offline', '', '', 'done', 1, '', '', '', '', '',"
            " '', '', false, CURRENT_TIMESTAMP)"
        ))
    assert current(old.engine) is None and pending(old.engine)
    old.dispose()

    assert upgrade(database_url) == head()
    new = Database(database_url)
    with new.session() as session:
        row = session.scalars(select(Participation)).one()
        assert row.status == "done" and row.public_id == "p"
        assert row.provider_submissions == 0 and row.retries == 0 and row.inputs == {}
        assert row.created_at.tzinfo is not None  # times come back timezone-aware on every database
    assert upgrade(database_url) == head()  # a second upgrade changes nothing
    assert not pending(new.engine)
    new.dispose()


def test_an_empty_database_starts_at_the_baseline_and_ends_at_head(database_url):
    assert upgrade(database_url, BASELINE) == BASELINE
    assert upgrade(database_url) == head()
