"""SQLite through sqlite-utils: migrations, requests, votes, runs, events, locks, audit chain."""
