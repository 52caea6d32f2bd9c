"""The sample workspace's data: a synthetic billing extract, a roster, a worked week and the next
month with planted effects. May import: errors through results and schedule."""
