"""The offline world: simulated AIX LPARs over real SSH and a Slack emulator.

It plays the outside world, so it imports nothing of the bot's own packages: a misunderstanding
of AIX or Slack cannot hide on both sides of a test.
"""
