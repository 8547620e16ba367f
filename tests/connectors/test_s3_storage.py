"""S3 storage: preflight errors, retries with backoff on throttling and 5xx, clear failures without secrets."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from pyconnect_flow.connectors.s3.storage import S3Error, S3Storage
from tests.connectors.s3_helpers import FakeCtx, make_sink, settings_for


def client_error(code: str, status: int, op: str = "PutObject") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, op)


class FlakyClient:
    """Fails the first `failures` calls of each operation with `error`, then answers like S3."""

    def __init__(self, error: BaseException, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.calls: dict[str, int] = {}

    def _call(self, op: str) -> None:
        self.calls[op] = self.calls.get(op, 0) + 1
        if self.calls[op] <= self.failures:
            raise self.error

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        self._call("put_object")
        return {"ETag": '"x"'}

    def head_bucket(self, **kwargs: Any) -> dict[str, Any]:
        self._call("head_bucket")
        return {}


def storage_with(s3, client: Any, retries: int = 3) -> tuple[S3Storage, list[float]]:
    sleeps: list[float] = []
    settings = settings_for(s3, "somebucket", **{"s3.part.retries": retries, "s3.retry.backoff.ms": 100,
                                                 "aws.secret.access.key": "do-not-print-me"})
    return S3Storage(settings, "s3-test", client=client, sleep=sleeps.append), sleeps


@pytest.mark.parametrize("error", [client_error("SlowDown", 503), client_error("InternalError", 500),
                                   client_error("ThrottlingException", 400),
                                   EndpointConnectionError(endpoint_url="http://x")])
def test_throttling_5xx_and_connection_loss_are_retried_with_backoff(s3, error: BaseException) -> None:
    client = FlakyClient(error, failures=2)
    storage, sleeps = storage_with(s3, client)
    storage.open("k").commit()
    assert client.calls["put_object"] == 3
    assert len(sleeps) == 2 and 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2


def test_retries_run_out_with_a_clear_error(s3) -> None:
    storage, sleeps = storage_with(s3, FlakyClient(client_error("SlowDown", 503), failures=10), retries=2)
    with pytest.raises(S3Error, match=r"PutObject of s3://somebucket/k failed after 3 attempts: SlowDown") as err:
        storage.open("k").commit()
    assert "do-not-print-me" not in str(err.value) and len(sleeps) == 2


def test_denied_access_is_not_retried(s3) -> None:
    client = FlakyClient(client_error("AccessDenied", 403, "HeadBucket"), failures=10)
    storage, sleeps = storage_with(s3, client)
    with pytest.raises(S3Error, match="access to S3 bucket 'somebucket'.* is denied") as err:
        storage.preflight()
    assert client.calls["head_bucket"] == 1 and not sleeps
    assert "do-not-print-me" not in str(err.value)


def test_preflight_reports_a_missing_bucket_before_data_moves(s3, unique_name: str) -> None:
    sink = make_sink(s3, unique_name, FakeCtx())
    with pytest.raises(S3Error, match=f"S3 bucket '{unique_name}' does not exist"):
        sink.preflight()
    s3.client().create_bucket(Bucket=unique_name)
    sink.preflight()


def test_aborted_stream_leaves_no_object_and_no_upload(s3, unique_name: str) -> None:
    s3.client().create_bucket(Bucket=unique_name)
    storage = S3Storage(settings_for(s3, unique_name, **{"s3.part.size": 5 * 1024 * 1024}))
    stream = storage.open("a/b.json")
    stream.write(b"x" * (6 * 1024 * 1024))
    assert stream.upload_id is not None
    stream.abort()
    assert s3.client().list_objects_v2(Bucket=unique_name).get("KeyCount") == 0
    assert not s3.client().list_multipart_uploads(Bucket=unique_name).get("Uploads")


def test_a_new_writer_aborts_uploads_left_by_a_crash(s3, unique_name: str) -> None:
    client = s3.client()
    client.create_bucket(Bucket=unique_name)
    client.create_multipart_upload(Bucket=unique_name, Key="topics/orders/partition=0/orders+0+0000000040.json")
    client.create_multipart_upload(Bucket=unique_name, Key="topics/orders/partition=1/orders+1+0000000040.json")
    make_sink(s3, unique_name).open("orders-0", None)
    left = [u["Key"] for u in client.list_multipart_uploads(Bucket=unique_name).get("Uploads", [])]
    assert left == ["topics/orders/partition=1/orders+1+0000000040.json"]


def test_uneven_writes_are_cut_into_whole_parts(s3, unique_name: str) -> None:
    s3.client().create_bucket(Bucket=unique_name)
    part = 5 * 1024 * 1024
    storage = S3Storage(settings_for(s3, unique_name, **{"s3.part.size": part}))
    stream = storage.open("data.bin")
    rng = random.Random(7)
    written = bytearray()
    while len(written) < 2 * part + part // 3:
        chunk = rng.randbytes(rng.choice([1, 1000, 300_000, part + 17]))
        stream.write(rng.choice([bytes, bytearray, memoryview])(chunk))
        written += chunk
    stream.commit()
    storage.close()
    got = s3.client().get_object(Bucket=unique_name, Key="data.bin")
    assert got["Body"].read() == written
    parts = len(written) // part + 1
    assert got["ETag"].strip('"').endswith(f"-{parts}")
    for number in range(1, parts):
        head = s3.client().head_object(Bucket=unique_name, Key="data.bin", PartNumber=number)
        assert head["ContentLength"] == part
