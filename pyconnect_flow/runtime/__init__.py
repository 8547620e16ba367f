"""The worker behind the REST API: connectors' configs and target states (`store`), their lifecycles in
processes of their own (`herder`), their offsets as Kafka Connect presents them (`offsets`), and the
standalone worker that serves it all over HTTP (`worker`)."""
