"""S3: :class:`S3Endpoint` says where an S3 API answers, :class:`MotoS3` runs moto's server.

moto runs in its own process (``python -m moto.server``) rather than in a thread of ours, so it
neither competes for our GIL with the dataflow under test nor logs to our terminal::

    with MotoS3() as s3:
        client = s3.client()
        client.create_bucket(Bucket="sink")
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.embedded import ServiceProcess, tcp_port_open

__all__ = ["MotoS3", "S3Endpoint"]

#: moto accepts any credentials; these make the intent obvious in logs and configs.
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Endpoint:
    """Where an S3-compatible API answers, with the credentials and region to use.

    Attributes:
        endpoint_url: e.g. ``http://127.0.0.1:9000``.
        region: The region to sign requests for.
        access_key_id, secret_access_key: Credentials, or None for boto3's own lookup
            (environment, profile, instance role).
        path_style: Address buckets as ``endpoint/bucket`` rather than ``bucket.endpoint``,
            which local S3 servers need.
        name: Which server this is ("moto", "external"), for messages and test ids.
    """

    endpoint_url: str
    region: str = DEFAULT_REGION
    access_key_id: str | None = None
    secret_access_key: str | None = None
    path_style: bool = True
    name: str = "external"

    @classmethod
    def from_env(cls, endpoint_url: str, name: str = "external") -> S3Endpoint:
        """An endpoint with region and credentials from the usual ``AWS_*`` environment variables."""
        return cls(
            endpoint_url,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
            secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
            name=name,
        )

    @property
    def boto3_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client("s3", **kwargs)`` that reach this endpoint."""
        from botocore.config import Config

        kwargs: dict[str, Any] = {"endpoint_url": self.endpoint_url, "region_name": self.region}
        if self.access_key_id is not None:
            kwargs["aws_access_key_id"] = self.access_key_id
            kwargs["aws_secret_access_key"] = self.secret_access_key
        if self.path_style:
            kwargs["config"] = Config(s3={"addressing_style": "path"})
        return kwargs

    def client(self, **kwargs: Any) -> Any:
        """A boto3 S3 client for this endpoint; ``kwargs`` override :attr:`boto3_kwargs`."""
        import boto3

        return boto3.client("s3", **{**self.boto3_kwargs, **kwargs})


class MotoS3(ServiceProcess):
    """moto's S3 server on a free loopback port, with fake credentials.

    Args:
        region: The region clients sign for (moto serves every region).
        start_timeout: Seconds ``start()`` waits for ``ListBuckets`` to answer.
        stop_timeout: Seconds ``stop()`` waits after SIGTERM before it kills.

    State lives in the server's memory and is gone after ``stop()``. moto enforces S3's 5 MiB
    minimum size for every part of a multipart upload but the last.
    """

    name = "moto"

    def __init__(
        self, *, region: str = DEFAULT_REGION, start_timeout: float = 30.0, stop_timeout: float = 10.0
    ) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.region = region

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.ports[0]}"

    @property
    def access_key_id(self) -> str:
        """The fake access key id clients use."""
        return FAKE_ACCESS_KEY_ID

    @property
    def secret_access_key(self) -> str:
        """The fake secret access key clients use."""
        return FAKE_SECRET_ACCESS_KEY

    @property
    def endpoint(self) -> S3Endpoint:
        """Connection information for this server."""
        return S3Endpoint(self.endpoint_url, self.region, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, name=self.name)

    @property
    def boto3_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client("s3", **kwargs)``; see :attr:`S3Endpoint.boto3_kwargs`."""
        return self.endpoint.boto3_kwargs

    def client(self, **kwargs: Any) -> Any:
        """A boto3 S3 client for this server; see :meth:`S3Endpoint.client`."""
        return self.endpoint.client(**kwargs)

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.ports[0])]

    def _probe(self, timeout: float) -> None:
        if not tcp_port_open(self.host, self.ports[0], timeout=min(timeout, 0.5)):
            raise ConnectionRefusedError(self.endpoint_url)
        from botocore.config import Config

        config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 0})
        self.client(config=config).list_buckets()
