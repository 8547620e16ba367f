"""S3 access: a client from the config, retries with backoff, preflight, and streamed multipart uploads.

`S3Storage.open(key)` gives an `S3OutputStream`: bytes written to it go up as
parts of `s3.part.size` while the file grows (on a small thread pool, at most
`MAX_PARTS_IN_FLIGHT` per stream, so memory stays about part size x open files);
`commit()` uploads the rest and completes the upload, or sends a single
PutObject when the whole object is smaller than one part. Throttling, 5xx and
connection failures are retried `s3.part.retries` times with jittered
exponential backoff from `s3.retry.backoff.ms` (`retry_policy`); other failures raise a
`ConnectException` naming the bucket and key (never a credential).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from pyconnect_flow.connectors.s3.config import S3SinkSettings
from pyconnect_flow.contract.retry import Jitter, RetriesExhausted, RetryPolicy
from pyconnect_flow.data.exceptions import ConnectException

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_PARTS_IN_FLIGHT = 2
MAX_BACKOFF_MS = 30_000
_RETRIABLE_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable", "503", "500", "502", "504",
})


class S3Error(ConnectException):
    """An S3 request failed for good (after retries, or a failure that retrying cannot fix)."""


def is_retriable(exc: BaseException) -> bool:
    """True for throttling, 5xx and lost connections; False for denied access, missing buckets and the like."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        HTTPClientError,
        ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _RETRIABLE_CODES or status == 429 or status >= 500
    return isinstance(exc, (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ConnectTimeoutError,
                            HTTPClientError, ConnectionError, TimeoutError))


def retry_policy(settings: S3SinkSettings) -> RetryPolicy:
    """`s3.part.retries` retries of throttling, 5xx and lost connections; retry n waits between half and all
    of `s3.retry.backoff.ms` x 2^(n-1), at most 30 s."""
    return RetryPolicy(first_delay_ms=settings.retry_backoff_ms, max_retries=settings.part_retries,
                       max_delay_ms=MAX_BACKOFF_MS, jitter=Jitter.HALF, retriable=is_retriable)


def _describe(exc: BaseException) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        return f"{error.get('Code', 'error')} (HTTP {status}): {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


class S3Storage:
    """One bucket, reached with boto3's credential chain (or the configured keys), shared by all writers."""

    def __init__(self, settings: S3SinkSettings, connector: str = "s3-sink", client: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self.connector = connector
        self._client = client
        self._sleep = sleep
        self.retry = retry_policy(settings)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_client=None, _pool=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 S3 client (created on first use; thread-safe)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_client(self.settings)
        return self._client

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Threads that upload parts while the dataflow goes on encoding."""
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3-upload")
        return self._pool

    def call(self, what: str, key: str | None, fn: Callable[..., T], **kwargs: Any) -> T:
        """`fn(**kwargs)`, retried on throttling, 5xx and connection loss; S3Error when it gives up."""
        where = f"s3://{self.bucket}/{key}" if key else f"bucket {self.bucket!r}"
        try:
            return self.retry.run(partial(fn, **kwargs), connector=self.connector, what=f"S3 {what} of {where}",
                                  describe=_describe, sleep=self._sleep)
        except RetriesExhausted as out:
            raise S3Error(f"Connector '{self.connector}': S3 {what} of {where} failed after {out.attempts} attempts: "
                          f"{_describe(out.last)}") from out.last
        except Exception as exc:
            raise S3Error(f"Connector '{self.connector}': S3 {what} of {where} failed: {_describe(exc)}") from exc

    def preflight(self) -> None:
        """Check that the bucket exists and we may use it, before any data moves."""
        from botocore.exceptions import ClientError, NoCredentialsError

        try:
            self.call("HeadBucket", None, self.client.head_bucket, Bucket=self.bucket)
        except S3Error as exc:
            cause = exc.__cause__
            status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") \
                if isinstance(cause, ClientError) else None
            where = f" at {self.settings.store_url}" if self.settings.store_url else ""
            if status == 404:
                raise S3Error(f"Connector '{self.connector}': S3 bucket {self.bucket!r} does not exist{where}") \
                    from None
            if status == 403:
                raise S3Error(f"Connector '{self.connector}': access to S3 bucket {self.bucket!r}{where} is denied "
                              "(check the credentials and the bucket policy)") from None
            raise
        except NoCredentialsError:
            raise S3Error(f"Connector '{self.connector}': no AWS credentials found (set aws.access.key.id and "
                          "aws.secret.access.key, or configure boto3's credential chain)") from None

    def open(self, key: str) -> S3OutputStream:
        """A stream that becomes the object `key` on `commit()`."""
        return S3OutputStream(self, key)

    def abort_uploads(self, prefix: str, keep: Callable[[str], bool]) -> int:
        """Abort unfinished multipart uploads under `prefix` whose key `keep` rejects; the number aborted."""
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads", []) or []:
                    if keep(upload["Key"]):
                        continue
                    self.call("AbortMultipartUpload", upload["Key"], self.client.abort_multipart_upload,
                              Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                    aborted += 1
        except Exception as exc:  # cleaning up is best effort; a lifecycle rule is the backstop
            log.warning("Could not list unfinished uploads under s3://%s/%s: %s", self.bucket, prefix, exc)
        return aborted

    def close(self) -> None:
        """Stop the upload threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def make_client(settings: S3SinkSettings) -> Any:
    """A boto3 S3 client for the settings (our own retries, so botocore makes one attempt)."""
    import boto3
    from botocore.config import Config

    s3_options = {"addressing_style": "path"} if settings.store_url and settings.path_style else {}
    config = Config(region_name=settings.region, retries={"total_max_attempts": 1, "mode": "standard"},
                    max_pool_connections=32, s3=s3_options or None, connect_timeout=10, read_timeout=60)
    kwargs: dict[str, Any] = {"config": config, "region_name": settings.region}
    if settings.store_url:
        kwargs["endpoint_url"] = settings.store_url
    if settings.access_key_id:
        kwargs["aws_access_key_id"] = settings.access_key_id
        kwargs["aws_secret_access_key"] = settings.secret_access_key
    return boto3.session.Session().client("s3", **kwargs)


class S3OutputStream:
    """Bytes that become one S3 object: parts upload as they fill; `commit()` makes the object.

    Nothing is visible in the bucket before `commit()`; `abort()` (or a crash)
    leaves at most an unfinished multipart upload, which the next run aborts.
    """

    def __init__(self, storage: S3Storage, key: str) -> None:
        self.storage = storage
        self.key = key
        self.part_size = storage.settings.part_size
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._upload_id: str | None = None
        self._parts: list[Future[dict[str, Any]]] = []
        self._next_part = 1
        self.size = 0

    # file-like, for pyarrow and fastavro
    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append bytes; full parts start uploading in the background."""
        n = len(data)
        if not n:
            return 0
        self._chunks.append(bytes(data))
        self._buffered += n
        self.size += n
        if self._buffered >= self.part_size:
            self._cut_parts()
        return n

    def flush(self) -> None:
        """No-op (file-like protocol): data is durable only after `commit()`."""

    @property
    def closed(self) -> bool:
        return False

    def tell(self) -> int:
        return self.size

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def _cut_parts(self) -> None:
        # Each part is copied once, from the buffered chunks; only the tail of the chunk it ends in is copied
        # again (a joined buffer sliced into parts held three copies of a part at once).
        chunks, part = self._chunks, self.part_size
        while self._buffered >= part:
            pieces: list[bytes | memoryview] = []
            need = part
            taken = 0
            while need:
                chunk = chunks[taken]
                if len(chunk) <= need:
                    pieces.append(chunk)
                    need -= len(chunk)
                    taken += 1
                else:
                    pieces.append(memoryview(chunk)[:need])
                    chunks[taken] = chunk[need:]
                    need = 0
            del chunks[:taken]
            self._buffered -= part
            body = b"".join(pieces)
            del pieces
            self._upload_part(body)

    def _upload_part(self, body: bytes) -> None:
        storage = self.storage
        if self._upload_id is None:
            created = storage.call("CreateMultipartUpload", self.key, storage.client.create_multipart_upload,
                                   Bucket=storage.bucket, Key=self.key)
            self._upload_id = created["UploadId"]
        while sum(1 for f in self._parts if not f.done()) >= MAX_PARTS_IN_FLIGHT:
            next(f for f in self._parts if not f.done()).exception()
        number = self._next_part
        self._next_part += 1
        self._parts.append(storage.pool.submit(self._send_part, number, body))
        for part in self._parts:
            error = part.exception() if part.done() else None
            if error is not None:
                raise error

    def _send_part(self, number: int, body: bytes) -> dict[str, Any]:
        storage = self.storage
        answer = storage.call("UploadPart", self.key, storage.client.upload_part, Bucket=storage.bucket,
                              Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": answer["ETag"]}

    @property
    def upload_id(self) -> str | None:
        """The multipart upload id, once the first part went up."""
        return self._upload_id

    def commit(self) -> None:
        """Upload what is left and make the object; returns once S3 acknowledged it."""
        storage = self.storage
        rest = b"".join(self._chunks)
        self._chunks, self._buffered = [], 0
        if self._upload_id is None:
            storage.call("PutObject", self.key, storage.client.put_object, Bucket=storage.bucket, Key=self.key,
                         Body=rest)
            return
        try:
            if rest:
                self._parts.append(storage.pool.submit(self._send_part, self._next_part, rest))
                self._next_part += 1
            parts = [f.result() for f in self._parts]
        except BaseException:
            self.abort()
            raise
        upload_id = self._upload_id
        self._complete(parts, upload_id)
        self._upload_id = None

    def _complete(self, parts: list[dict[str, Any]], upload_id: str) -> None:
        storage = self.storage
        try:
            storage.call("CompleteMultipartUpload", self.key, storage.client.complete_multipart_upload,
                         Bucket=storage.bucket, Key=self.key, UploadId=upload_id,
                         MultipartUpload={"Parts": parts})
        except S3Error as exc:
            # A retried Complete whose first attempt succeeded answers NoSuchUpload; the object is there.
            if "NoSuchUpload" in str(exc) and self._exists():
                return
            raise

    def _exists(self) -> bool:
        try:
            self.storage.client.head_object(Bucket=self.storage.bucket, Key=self.key)
            return True
        except Exception:  # noqa: BLE001 - any failure means we cannot confirm it
            return False

    def abort(self) -> None:
        """Drop the data; abort the multipart upload if one was started (best effort)."""
        self._chunks, self._buffered = [], 0
        for f in self._parts:
            f.cancel()
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is not None:
            try:
                self.storage.client.abort_multipart_upload(Bucket=self.storage.bucket, Key=self.key,
                                                           UploadId=upload_id)
            except Exception as exc:  # noqa: BLE001 - the next run's cleanup or a lifecycle rule removes it
                log.warning("Could not abort the upload of s3://%s/%s: %s", self.storage.bucket, self.key, exc)
