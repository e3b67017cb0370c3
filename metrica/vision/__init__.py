"""The edge worker: sources, detectors, tracking, counting, outbox, uplink."""
