"""Run the Slack emulator standalone: `python -m sim.slack --help`."""

from sim.slack.standalone import serve

serve()
