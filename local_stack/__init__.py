"""The embedded local stack: the whole product on 127.0.0.1 with no AWS account and no Docker.

`python -m local_stack` (= `make up`) starts the processes listed in `local_stack.services` (AWS emulator,
local Rekognition, API gateway, one poller per function) under one supervisor; compose runs the same
commands as containers. State lives in memory and is gone when the stack stops.
"""
