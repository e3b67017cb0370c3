"""A box's event sender on its own, as a process: the worker's outbox and `Shipper` over
`MqttEventUplink` (everything of `metrica worker` but the video), until the outbox is
empty. `python -m tests.support.mqtt_sender OUTBOX CAMERA_ID`, with METRICA_MQTT_URL,
METRICA_MQTT_BOX_ID and METRICA_MQTT_PASSWORD in the environment; exits 0 when empty."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from metrica.domain.mqtt import client_id
from metrica.edge.mqtt_link import MqttEventUplink, MqttSettings
from metrica.edge.outbox import Outbox
from metrica.edge.shipper import BatchPolicy, RetryPolicy, Shipper


def sender(
    outbox: Outbox, camera_id: str, settings: MqttSettings, batch: int = 100
) -> tuple[Shipper, MqttEventUplink]:
    """The worker's sender for one camera, over MQTT."""
    uplink = MqttEventUplink(settings, camera_id, client_id=client_id(settings.box_id, camera_id))
    shipper = Shipper(
        outbox,
        uplink.post_events,
        camera_id=camera_id,
        policy=BatchPolicy(max_events=batch, every_s=0.05),
        retry=RetryPolicy(base_s=0.1, cap_s=1.0),
    )
    return shipper, uplink


def main() -> int:
    outbox = Outbox(Path(sys.argv[1]))
    settings = MqttSettings(
        os.environ["METRICA_MQTT_URL"],
        os.environ["METRICA_MQTT_BOX_ID"],
        os.environ["METRICA_MQTT_PASSWORD"],
        timeout_s=5.0,
    )
    shipper, uplink = sender(outbox, sys.argv[2], settings, int(os.environ.get("BATCH", "100")))
    shipper.start()
    emptied = shipper.flush(deadline_s=600)
    shipper.stop()
    uplink.close()
    outbox.close()
    return 0 if emptied else 1


if __name__ == "__main__":
    raise SystemExit(main())
