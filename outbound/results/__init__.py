"""Did it work: success rules judged on the next month, lift over the holdout, the month's
activity, charts and the month report. May import: errors through plan."""
