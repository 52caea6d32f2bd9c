"""The database: tables, Alembic migrations, bulk writes, and the work orders' reads, writes and
events that every later step shares. May import: errors, config."""
