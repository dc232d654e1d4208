"""The store: SQLAlchemy 2.0 tables, keyword-only repository functions, Alembic migrations.
Only this package speaks SQL."""

# Where things are:
#     store.db            get_engine(), session_factory(), transaction(): engines and sessions
#     store.migrate       upgrade/downgrade/check: Alembic driven from code
#     store.tables        the tables (PostRow, Classification, Case, Forward, ...)
#     store.repository    posts and harvest cursors: upsert_posts, ingest_pages, stream_posts
#     store.exceptions    the store's errors (UserError, their base: config.exceptions)
