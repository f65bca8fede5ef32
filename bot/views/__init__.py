"""Every Block Kit message and modal lkubot shows, built with `slack_sdk.models.blocks`.

One place renders Slack: the workflow, the status cards and the notifier call these builders
and post what they return. Each builder is pure (it takes `now` when time matters, and the same
input always gives the same blocks) and returns a `SlackMessage` (`text`, the notification
fallback, plus `blocks`; `as_kwargs()` for chat.postMessage/chat.update) or a `ModalView`,
always within Slack's limits. Action, block and callback ids are constants in `actions`.

- `request_card`: `render_request_card(request, group_policy, now)`,
  `render_check_details(request, CheckRef)`
- `dialogs`: `render_reject_modal(request)`, `read_reject_submission(view)`
- `replies`: `render_help(kind, topic)`, `render_notice(text)`, `render_error(sentence,
  reference)`, `render_request_list(requests, locks, freeze, now)`,
  `render_request_status(request, runs, now)`, `render_lpar_status(lpar, lock, requests,
  now)`, `render_history(lpar, entries)`
- `run_status`: `render_run_status(snapshot)` and `MILESTONES`, the steps it shows
- `run_summary`: `render_run_summary(snapshot)` -> message and, for a long config.diff, the
  file to upload
- `notices`: one line per event for the group's notification channel
- `remedies`: what to do next about a `1430-NNN` error
- `text`, `blocks`, `message`: the escaping, limits and block helpers they share
"""
