"""The day's plan: segments of a month, assignment/ of calls to agents, the daily run, and why a
line was left out. May import: errors through orders (see outbound/__init__)."""
