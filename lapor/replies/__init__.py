"""Replies to citizens under their own comment once their complaint is in SP4N-LAPOR!.

plan.py        which posts get which reply (profile replies.yaml), rows made in the outbox
platforms.py   Facebook, Instagram, YouTube: post a reply, read a thread, check permissions
sender.py      claims due replies, posts them, records each outcome (store.replies)
errors.py      what a platform's answer means for the outbox
cli.py         aduan replies plan|send|list|approve|decline
"""
