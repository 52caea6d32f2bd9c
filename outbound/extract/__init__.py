"""Extracts in: reading CSV, Parquet and XLSX files, typing their values, phone numbers, the
month's snapshot and its rejects. May import: errors through workspace (see outbound/__init__)."""
