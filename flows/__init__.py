"""Runnable Bytewax flows: `python -m bytewax.run flows.<name>`."""
