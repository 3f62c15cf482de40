"""A local, offline stand-in for Amazon Rekognition that speaks its JSON protocol.

    server = start_recognizer(RecognizerConfig(backend="auto"), host="127.0.0.1", port=0)
    boto3.client("rekognition", endpoint_url=server.url).detect_labels(Image={"Bytes": data})

Backends: `models` (real offline models shipped in PyPI packages) and `stub` (hash-derived, fast, says
nothing true about the picture). Local use only: nothing here may be imported by the Lambdas.
"""

from .config import RecognizerConfig
from .http_server import RecognizerServer, start_recognizer

__all__ = ["RecognizerConfig", "RecognizerServer", "start_recognizer"]
