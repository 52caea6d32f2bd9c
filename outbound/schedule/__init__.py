"""Every day on time: the jobs the scheduler runs and the elected process that runs them.
May import: errors through plan."""
