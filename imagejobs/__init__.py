"""What the API and the worker must agree on: job and batch records, statuses, error codes,
the S3 key layout, settings, and the DynamoDB writes that move a job through its states."""
