"""Tests of distributed workers on several hosts, simulated with network namespaces (:mod:`.netns`)."""
