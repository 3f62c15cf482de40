"""The `imgrec` command line client and the Python client it is built on."""

from imgrec.client import AnalysisRequest, ImageSpec, ImgrecClient, UploadForm
from imgrec.errors import ApiError, ImgrecClientError, TransportError, UploadRejected

__all__ = [
    "AnalysisRequest",
    "ApiError",
    "ImageSpec",
    "ImgrecClient",
    "ImgrecClientError",
    "TransportError",
    "UploadForm",
    "UploadRejected",
]
