"""A database made by an older Posterbooth gets the columns a newer one added, and keeps its rows."""

from __future__ import annotations

from sqlalchemy import select, text

from posterbooth.db import Database
from posterbooth.models import Participation

ADDED_LATER = ("provider_submissions", "retries", "inputs", "inputs_deleted_at", "poster_deleted_at")


def test_missing_columns_are_added_and_old_rows_read(database_url):
    old = Database(database_url)
    old.create_tables()
    with old.engine.begin() as connection:
        for name in ADDED_LATER:
            connection.execute(text(f'ALTER TABLE participations DROP COLUMN "{name}"'))
        connection.execute(text(
            "INSERT INTO participations (public_id, share_token, referral_code, submission_key, campaign, device_id,"
            " locale, answers, outcome, style, prompt, negative_prompt, seed, provider, provider_model,"
            " provider_job_id, status, attempts, error_code, error_detail, image_path, poster_path,"
            " share_card_path, base_url, channel, hidden, created_at) VALUES ('p', 's', 'r', 'k', 'spring-outing',"
            " 'd', 'zh-CN', '{}', 'xihu', '', 'prompt', '', 1, 'offline', '', '', 'done', 1, '', '', '', '', '',"
            " '', '', false, CURRENT_TIMESTAMP)"
        ))
    old.dispose()

    new = Database(database_url)
    new.create_tables()
    with new.session() as session:
        row = session.scalars(select(Participation)).one()
        assert row.status == "done" and row.public_id == "p"
        assert row.provider_submissions == 0 and row.retries == 0
    new.create_tables()  # a second start changes nothing
    new.dispose()
