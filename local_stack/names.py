"""Resource names and the fake credentials of the local stack (moto accepts any)."""

from __future__ import annotations

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
TABLE_NAME = "imgrec-jobs"
BUCKET_NAME = "imgrec-images"
QUEUE_NAME = "imgrec-jobs"
DLQ_NAME = "imgrec-jobs-dlq"
DELETIONS_QUEUE_NAME = "imgrec-deletions"

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Notifications (issue 12): webhook deliveries, their dead letters, the event topic.
WEBHOOK_QUEUE_NAME = "imgrec-webhooks"
WEBHOOK_DLQ_NAME = "imgrec-webhooks-dlq"
EVENTS_TOPIC_NAME = "imgrec-events"
EVENTS_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{EVENTS_TOPIC_NAME}"
