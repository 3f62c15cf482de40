"""The embedded local stack: the whole product on 127.0.0.1 with no AWS account and no Docker.

`python -m local_stack` (= `make up`) starts every part in one process; compose starts the same parts
as containers through their own entry points (`local_stack.aws`, `.provision`, `.gateway`, `.poller`,
`.recognizer`). State lives in memory and is gone when the stack stops.
"""
