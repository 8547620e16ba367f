"""The engine: the only package that knows Bytewax.

It compiles connectors into dataflows (`compile`), runs their batch stages (`stages`), adapts sources and
sinks to Bytewax's partitioned inputs and outputs (`adapters`), holds and publishes positions
(`positions`), bounds what is in flight (`backpressure`), routes dead letters (`dead_letters`,
`reporting`), validates configs into specs (`spec`), and runs the result in this process or as several
(`runner`, `shutdown`). Connectors never import it.
"""
