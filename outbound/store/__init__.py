"""The database: tables, migrations and a few functions per aggregate."""
