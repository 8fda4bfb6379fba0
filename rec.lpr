# liveplot recording v1
# session 2026-12-06T08:36:09.912Z
