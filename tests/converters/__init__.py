"""Tests of pyconnect_flow.converters."""
