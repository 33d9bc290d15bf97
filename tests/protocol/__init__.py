"""Tests of the protocol layer; ``protocol.roundtrip`` holds helpers other test packages reuse."""
