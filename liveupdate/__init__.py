"""Pure AIX live update knowledge: parsers, the lvupdate.data checker, the phase model, the
approval policy and request state machine, fingerprints.

Nothing here imports Slack, SSH or SQLite, and nothing reads the clock: callers pass `now`.
"""
