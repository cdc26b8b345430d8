"""Operating the system: the job queue as operators see it, schedules and their ticks, housekeeping.

Rooms: ``queue`` (counts, failed jobs, retry, prune, flush), ``schedules`` (cron, due ticks),
``maintenance`` (vacuum after bulk writes).
"""
