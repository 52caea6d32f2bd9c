"""The people who do the work: the agents' roster and absences, and the web app's users, roles
and tokens. May import: errors through extract (see outbound/__init__)."""
