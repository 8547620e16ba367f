"""`python -m pyconnect_flow.engine.cluster_worker PROCESS_ID`: one process of a multi-process run."""

import sys

from pyconnect_flow.engine.runner import cluster_worker_main

if __name__ == "__main__":
    sys.exit(cluster_worker_main(sys.argv[1:]))
