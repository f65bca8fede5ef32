"""The bot's listeners, one module per feature, each with `register(app, workflow, ...)`.

Every listener is thin: it acknowledges first (Slack allows 3 s; the ack never waits on SSH
or on another Slack call), reads what was asked, and hands the work to `Workflow`, which runs
it in the task registry. No listener catches errors: they go to the one error hook
(`bot.errors`), which answers the person privately.
"""
