"""Who may be contacted and when: the contact policy (holdouts, frequency caps, calling hours)
and the suppression list. May import: errors through extract (see outbound/__init__)."""
