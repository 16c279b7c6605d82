"""Alerts: rules that watch the scored feedback, the alerts they fire, and their delivery to webhooks.

- `rules`: what a rule may say, validated (a spike at a touchpoint or stage, a contact at risk, a response
  that matches a condition).
- `evaluate`: the rules of a scored batch (in the transaction that stores its analysis, so an alert is
  never lost between the two) and the spike rules (a job the worker runs on a schedule).
- `outbox` (in `vocengine.store`) writes each alert once per rule, subject and period, with one message per
  webhook endpoint; `delivery` sends the messages, signed per Standard Webhooks, retried with backoff.
"""
