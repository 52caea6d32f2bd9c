"""Outbound campaign engine: billing extracts in, the day's calls and messages out.

One package a capability of the daily loop, each importing only those above it in this list
(tests/unit/test_layers.py holds the list and checks every import):

    errors                  UserError: a sentence for the person who made the mistake
    config, output          config.toml; tables to the terminal, CSV, JSON and XLSX
    rules, store            the rule language; the database
    workspace               the user's files: segments/, campaigns/, scripts/
    extract                 billing extracts in
    contact, staff, privacy who may be contacted and when; agents and users; who sees numbers
    messages                SMS and voice: outbox, sending, receipts, the customer's score
    orders                  outcomes, deadlines, lists, supervision
    plan                    segments, assignment, the daily run
    results                 did it work: reports, quality, handling time
    schedule                every day on time (its run ranks agents on their results)
    sample                  the sample workspace's data
    web                     the web app
    cli                     the command line
"""
