"""Logger, Tracer and Metrics: one instance each per process, named by POWERTOOLS_* settings."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
