"""Benchmark: Kafka → S3 sink (Confluent's S3SinkConnector config) into moto's S3 server, Parquet and JSON.

For each format it prints MB/s (object bytes written) and records/s for
1. pyconnect-flow (`pyconnect-flow standalone --stop-at-end` equivalent, one process): Kafka consume,
   JsonConverter decode, Parquet/JSON encode, streamed multipart uploads;
2. a bare boto3 upload of the very same objects (same keys, sizes and part size): the limit,
3. the same Kafka records into FileStreamSink (decode + a local file): a reference for the rest of the pipeline (its peak RSS: the framework and read-ahead),
and pyconnect-flow's peak RSS, whose S3 part (beyond the FileStreamSink run's) must stay near part size x
open files (x 3 with the parts in flight), whatever the file size. Every pyconnect-flow path also runs on a
topic of a fifth of the records (`--small-records`): bounded memory means both runs peak alike.

    python benchmarks/kafka_to_s3.py [--records 1000000] [--small-records 200000] [--part-mb 5] [--flush-size 200000]

Targets (issue): pyconnect-flow ≥ 0.8x the bare upload's MB/s; peak RSS bounded (not growing with the input).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PEAK_RSS, run_child, table  # noqa: E402

PARTITIONS = 3
SCHEMA = {"type": "struct", "name": "com.example.Order", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "customer", "type": "string", "optional": False},
    {"field": "product", "type": "string", "optional": False},
    {"field": "quantity", "type": "int32", "optional": False},
    {"field": "amount", "type": "double", "optional": True},
]}

PYCONNECT = PEAK_RSS + """
import json, time
from pathlib import Path
from pyconnect_flow.engine.runner import RunOptions, run_connectors
tmp = Path({tmp!r})
(tmp / "w-{tag}.properties").write_text("bootstrap.servers={bootstrap}\\noffset.storage.file.filename={tmp}/offsets-{tag}\\n"
    "offset.flush.interval.ms=5000\\n")
(tmp / "c-{tag}.properties").write_text("\\n".join(f"{{k}}={{v}}" for k, v in {connector!r}.items()) + "\\n")
t0 = time.perf_counter()
run_connectors(RunOptions(str(tmp / "w-{tag}.properties"), [str(tmp / "c-{tag}.properties")], stop_at_end=True))
print(json.dumps({{"seconds": time.perf_counter() - t0, "rss": peak_rss_mb()}}))
"""

BARE = PEAK_RSS + """
import json, time
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config
objects = json.load(open({manifest!r}))
client = boto3.client("s3", endpoint_url={url!r}, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing", config=Config(s3={{"addressing_style": "path"}},
                      max_pool_connections=32))
part = {part}
blobs = [(key, open(path, "rb").read()) for key, path in objects]

def upload(key, data):
    if len(data) < part:
        client.put_object(Bucket={bucket!r}, Key=key, Body=data)
        return
    uid = client.create_multipart_upload(Bucket={bucket!r}, Key=key)["UploadId"]
    chunks = [data[i:i + part] for i in range(0, len(data), part)]
    with ThreadPoolExecutor(2) as pool:
        etags = list(pool.map(lambda n: client.upload_part(Bucket={bucket!r}, Key=key, UploadId=uid, PartNumber=n + 1,
                                                           Body=chunks[n])["ETag"], range(len(chunks))))
    client.complete_multipart_upload(Bucket={bucket!r}, Key=key, UploadId=uid, MultipartUpload={{"Parts": [
        {{"PartNumber": n + 1, "ETag": e}} for n, e in enumerate(etags)]}})

t0 = time.perf_counter()
with ThreadPoolExecutor({partitions}) as pool:  # one uploader per Kafka partition, as the sink has
    list(pool.map(lambda kv: upload(*kv), blobs))
print(json.dumps({{"seconds": time.perf_counter() - t0, "rss": peak_rss_mb()}}))
"""


def produce(bootstrap: str, topic: str, records: int) -> None:
    from confluent_kafka import Producer

    head = json.dumps({"schema": SCHEMA, "payload": None}, separators=(",", ":"))[:-5].encode()
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 500000, "compression.type": "lz4"})
    base = 1_714_570_200_000
    for i in range(records):
        payload = (b'{"id":%d,"customer":"customer-%d","product":"product-%d","quantity":%d,"amount":%s}'
                   % (i, i % 997, i % 113, i % 9 + 1, b"null" if i % 50 == 0 else b"%.2f" % (i * 0.37)))
        value = head + payload + b"}"
        while True:
            try:
                p.produce(topic, value, partition=i % PARTITIONS, timestamp=base + i)
                break
            except BufferError:
                p.poll(0.05)
    p.flush(120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--small-records", type=int, default=None,
                        help="records of the second topic, to show memory does not grow (default: a fifth)")
    parser.add_argument("--part-mb", type=int, default=5)
    parser.add_argument("--flush-size", type=int, default=200_000)
    parser.add_argument("--tasks", type=int, default=1, help="tasks.max: processes sharing the partitions")
    args = parser.parse_args()
    small = args.small_records if args.small_records is not None else args.records // 5
    from pyconnect_flow.embedded import EmbeddedKafka, MotoS3

    part = args.part_mb * 1024 * 1024
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-k2s3-") as tmp_dir, EmbeddedKafka() as kafka, MotoS3() as s3:
        tmp = Path(tmp_dir)
        topic, small_topic = "bench-orders", "bench-orders-small"
        for name, count in ((topic, args.records), (small_topic, small)):
            kafka.create_topic(name, partitions=PARTITIONS)
            t0 = time.perf_counter()
            produce(kafka.bootstrap_servers, name, count)
            print(f"produced {count:,} records in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        client = s3.client()
        for fmt, cls in (("parquet", "io.confluent.connect.s3.format.parquet.ParquetFormat"),
                         ("json", "io.confluent.connect.s3.format.json.JsonFormat")):
            bucket = f"bench-{fmt}"
            client.create_bucket(Bucket=bucket)
            connector = {"name": f"bench-{fmt}", "connector.class": "io.confluent.connect.s3.S3SinkConnector",
                         "topics": topic, "s3.bucket.name": bucket, "store.url": s3.endpoint_url,
                         "s3.region": "us-east-1", "aws.access.key.id": "testing", "aws.secret.access.key": "testing",
                         "format.class": cls, "flush.size": args.flush_size, "s3.part.size": part,
                         "tasks.max": args.tasks}
            ours = run_child(PYCONNECT.format(tmp=str(tmp), tag=fmt, bootstrap=kafka.bootstrap_servers,
                                              connector=connector))
            client.create_bucket(Bucket=f"{bucket}-small")
            ours_small = run_child(PYCONNECT.format(tmp=str(tmp), tag=f"{fmt}-small", bootstrap=kafka.bootstrap_servers,
                                                    connector={**connector, "name": f"bench-{fmt}-small",
                                                               "topics": small_topic, "s3.bucket.name": f"{bucket}-small"}))
            objects, total = [], 0
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for o in page.get("Contents", []):
                    path = tmp / f"{fmt}-{len(objects)}.bin"
                    path.write_bytes(client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read())
                    objects.append((o["Key"], str(path)))
                    total += o["Size"]
            manifest = tmp / f"{fmt}.json"
            manifest.write_text(json.dumps(objects))
            client.create_bucket(Bucket=f"{bucket}-bare")
            bare = run_child(BARE.format(manifest=str(manifest), url=s3.endpoint_url, part=part,
                                         bucket=f"{bucket}-bare", partitions=PARTITIONS))
            results[fmt] = {"ours": ours, "small": ours_small, "bare": bare, "bytes": total, "objects": len(objects)}
            print(f"{fmt}: {len(objects)} objects, {total / 1e6:.1f} MB; pyconnect-flow {ours['seconds']:.1f} s, "
                  f"bare upload {bare['seconds']:.1f} s", file=sys.stderr)

        baseline, baseline_small = (run_child(PYCONNECT.format(
            tmp=str(tmp), tag=f"file{n}", bootstrap=kafka.bootstrap_servers, connector={
                "name": f"bench-file{n}", "connector.class": "FileStreamSink", "topics": name,
                "file": str(tmp / f"out{n}.txt"), "tasks.max": args.tasks})) for n, name in enumerate((topic, small_topic)))

    rows = [("format", "path", "MB/s", "records/s", "seconds", "peak RSS MB", "vs bare upload")]
    for fmt, r in results.items():
        mb = r["bytes"] / 1e6
        for tag, label in (("ours", "pyconnect-flow Kafka → S3"), ("bare", "bare boto3 upload of the same bytes")):
            m = r[tag]
            rows.append((fmt, label, f"{mb / m['seconds']:.1f}", f"{args.records / m['seconds']:,.0f}",
                         f"{m['seconds']:.1f}", f"{m['rss']:.0f}",
                         f"{r['bare']['seconds'] / m['seconds']:.2f}×" if tag == "ours" else "1.00×"))
        m = r["small"]
        rows.append((fmt, f"pyconnect-flow Kafka → S3, {small:,} records", "-", f"{small / m['seconds']:,.0f}",
                     f"{m['seconds']:.1f}", f"{m['rss']:.0f}", "-"))
    rows.append(("text", "same records → FileStreamSink (reference)", "-",
                 f"{args.records / baseline['seconds']:,.0f}", f"{baseline['seconds']:.1f}", f"{baseline['rss']:.0f}", "-"))
    rows.append(("text", f"FileStreamSink, {small:,} records", "-", f"{small / baseline_small['seconds']:,.0f}",
                 f"{baseline_small['seconds']:.1f}", f"{baseline_small['rss']:.0f}", "-"))
    print(table(rows))
    print(f"\nobjects: parquet {results['parquet']['objects']} ({results['parquet']['bytes'] / 1e6:.1f} MB), "
          f"json {results['json']['objects']} ({results['json']['bytes'] / 1e6:.1f} MB); "
          f"part size {args.part_mb} MiB, flush.size {args.flush_size:,}, {PARTITIONS} partitions, "
          f"tasks.max {args.tasks}")
    growth = {fmt: r["ours"]["rss"] / r["small"]["rss"] - 1 for fmt, r in results.items()}
    growth["text"] = baseline["rss"] / baseline_small["rss"] - 1
    print("peak RSS, " + f"{args.records:,} vs {small:,} records: "
          + ", ".join(f"{fmt} {g:+.0%}" for fmt, g in growth.items()))
    print("peak RSS of the parent of a multi-process run (tasks.max > 1) is not the workers'; use --tasks 1 for memory")


if __name__ == "__main__":
    main()
