"""Many callers at once: the threaded server and the shared model sessions give every caller its answer."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from local_stack.recognizer import RecognizerServer

from .conftest import jpeg, rekognition_client


def test_the_stub_serves_many_concurrent_callers_consistently(
    stub_server: RecognizerServer, photos: dict[str, bytes]
) -> None:
    client = rekognition_client(stub_server.url, max_pool_connections=32)
    expected = client.detect_labels(Image={"Bytes": photos["coffee"]})["Labels"]
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(
            pool.map(lambda _: client.detect_labels(Image={"Bytes": photos["coffee"]})["Labels"], range(128))
        )
    assert all(answer == expected for answer in answers)


def test_concurrent_model_calls_on_different_images_each_get_their_own_answer(
    models_server: RecognizerServer, photos: dict[str, bytes]
) -> None:
    astronaut = Image.open(io.BytesIO(photos["astronaut"]))
    cat = Image.open(io.BytesIO(photos["chelsea"]))
    # Distinct bytes per call, so the per-image cache cannot hide a race between model runs.
    jobs = [("astronaut", jpeg(astronaut, quality)) for quality in range(80, 83)]
    jobs += [("chelsea", jpeg(cat, quality)) for quality in range(80, 83)]
    client = rekognition_client(models_server.url, max_pool_connections=16, read_timeout=120)

    def call(job: tuple[str, bytes]) -> tuple[str, int, set[str]]:
        name, data = job
        faces = client.detect_faces(Image={"Bytes": data})["FaceDetails"]
        labels = {label["Name"] for label in client.detect_labels(Image={"Bytes": data})["Labels"]}
        return name, len(faces), labels

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(call, jobs))
    for name, face_count, labels in results:
        if name == "astronaut":
            assert face_count == 1 and "Person" in labels
        else:
            assert face_count == 0 and "Cat" in labels
