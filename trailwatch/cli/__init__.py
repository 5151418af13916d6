"""The command line's shared parts: one voice for every command (`output`: colours, error
lines), one reader for every file a command reads (`inputs`: limits, exit 2 messages) and the
`trailwatch pattern` command (`pattern`). The entry point is trailwatch/__main__.py; `check`
and `audit` live in trailwatch.engine and trailwatch.audit. Nothing is imported here."""
