"""The SQS worker Lambda (container image): entry points `handle_jobs` and `handle_dead_letters`,
the job logic in `process_job`, the normalizer in `normalize`, AWS adapters in `adapters`."""
