"""The store: SQLAlchemy 2.0 tables, keyword-only repository functions, Alembic migrations.

Where things are:
    store.settings      get_settings(): the ADUAN_* settings object (read on first use)
    store.profile       get_profile(): the region's taxonomy.yaml (agencies, topics, triage)
    store.db            get_engine(), session_factory(), transaction(): engines and sessions
    store.migrate       upgrade/downgrade/check: Alembic driven from code
    store.tables        the tables (PostRow, Classification, Case, Forward, ...)
    store.repository    posts and harvest cursors: upsert_posts, ingest_pages, stream_posts
    store.exceptions    UserError and the store's errors

Only this package speaks SQL.
"""
