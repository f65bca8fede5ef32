"""Every Block Kit message and modal lkubot shows, built with `slack_sdk.models.blocks`.

One place renders Slack: listeners, the status card and the notifier call these builders and
post what they return. Each builder is pure (it takes `now` when time matters) and returns a
`SlackMessage` (`text`, the notification fallback, plus `blocks`) or a `ModalView`, always within
Slack's limits. Action and block ids are constants in `bot.views.actions`.

- `request_card`: `render_request_card`, `render_check_details`
- `dialogs`: `render_reject_modal`, `read_reject_submission`
- `replies`: `render_help`, `render_notice`, `render_error`, `render_request_list`,
  `render_request_status`, `render_lpar_status`, `render_history`
- `run_status`: the status message of a run, edited in place
- `run_summary`: the final summary of a run
- `notices`: one line per event for the group's notification channel
"""
