"""The edge worker process: counts a camera and ships events through a durable outbox."""
