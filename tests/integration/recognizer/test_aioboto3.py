from __future__ import annotations

import asyncio

import aioboto3

from local_stack.recognizer import RecognizerServer

from .conftest import CREDENTIALS, assert_valid_response


async def test_aioboto3_calls_all_four_apis_concurrently(
    stub_server: RecognizerServer, photos: dict[str, bytes]
) -> None:
    session = aioboto3.Session()
    async with session.client("rekognition", endpoint_url=stub_server.url, **CREDENTIALS) as client:
        image = {"Bytes": photos["astronaut"]}
        labels, faces, text, moderation = await asyncio.gather(
            client.detect_labels(Image=image),
            client.detect_faces(Image=image, Attributes=["ALL"]),
            client.detect_text(Image=image),
            client.detect_moderation_labels(Image=image),
        )
    assert_valid_response("DetectLabels", labels)
    assert_valid_response("DetectFaces", faces)
    assert_valid_response("DetectText", text)
    assert_valid_response("DetectModerationLabels", moderation)
