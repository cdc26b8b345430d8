"""Harmonogram: schedules with cron, next run and last result; enable, disable, edit cron."""
