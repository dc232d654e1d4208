"""Replies to citizens under their own comment once their complaint is in SP4N-LAPOR!.
lapor/README.md (Replies to the citizen) has the modules, the states and the commands."""
