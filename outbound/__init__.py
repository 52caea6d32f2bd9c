"""Outbound campaign engine: billing extracts in, the day's calls and messages out."""
