"""ByteTrack with one association pass over every detection, strong and weak.

Stock ByteTrack (Roboflow `trackers`) matches tracks to the high-confidence boxes first and
offers the low-confidence boxes only to the tracks left over. When detection is sparse in
time (15 detections a second on a 60 fps camera: people move 4 frames between looks) a
person's own box is often weak (half hidden by a companion) while the companion's strong
box still overlaps the person's predicted box: the first pass hands the companion's box
to the person's track, an identity switch that loses or reverses a crossing.

Here every box is offered to every track in a single Hungarian assignment on IoU, so each
track keeps the box that overlaps its prediction best whatever its score; weak boxes
still never start a track.

Confirmation is counted in sightings, not consecutive calls: stock ByteTrack drops a
tentative track at its first miss, so a person detected every other look (weak boxes
around the activation threshold) is never confirmed when detection is sparse. Here a
tentative track survives misses for `tentative_s` seconds and is confirmed on its
`minimum_consecutive_frames`-th sighting.

Prediction over the time between detections (the Kalman step is scaled by the elapsed
time) and the lost-track budget in seconds are the library's own; this reuses its
helpers (`trackers` is locked; `tests/vision/test_tracking.py` pins the behaviour).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
import supervision as sv
from trackers import ByteTrackTracker
from trackers.core.bytetrack.tracklet import ByteTrackTracklet
from trackers.core.bytetrack.utils import _get_alive_tracklets
from trackers.utils.detections import default_confidences
from trackers.utils.state_representations import BaseStateEstimator


class _Tracklet(ByteTrackTracklet):
    """A ByteTrack tracklet that also counts its sightings and keeps its first one."""

    def __init__(
        self,
        bbox: npt.NDArray[np.float32],
        estimator: type[BaseStateEstimator],
        seen_at: tuple[int, float],
    ) -> None:
        super().__init__(bbox, estimator)
        self.sightings = 1
        self.first_box = np.array(bbox, np.float32)
        self.first_seen_at = seen_at

    def update(self, bbox: npt.NDArray[np.float32]) -> None:
        super().update(bbox)
        self.sightings += 1


class SinglePassByteTrack(ByteTrackTracker):
    """ByteTrack whose tracks pick among all detections by IoU in one pass, and whose
    tentative tracks wait `tentative_s` seconds for their confirming sighting."""

    tracker_id = "metrica-single-pass-bytetrack"  # its own registry name, not "bytetrack"
    tentative_s: float = 0.0  # set per instance; 0 = stock (dropped at the first miss)
    now: tuple[int, float] = (0, 0.0)  # (frame, t_s) of the update in progress, set by the caller
    confirmed_now: tuple[_Tracklet, ...] = ()  # the tracks that got their id in the last update

    def update(
        self,
        detections: sv.Detections,
        frame: npt.NDArray[np.uint8] | None = None,
        timestamp: float | None = None,
    ) -> sv.Detections:
        """Associate this frame's detections; returns them with `tracker_id` (-1: none)."""
        self.confirmed_now = ()
        timing = self._predict_timing(timestamp)
        if timing.skip_update:
            return self._detections_for_skipped_update(detections)
        self._predict_tracklets(self.tracks, timing)
        budget = self._lost_track_time_budget(timing, self.maximum_time_without_update)
        self._prune_lost_tracks(timing)

        boxes = np.asarray(detections.xyxy)
        confidence = default_confidences(detections)
        predicted = np.array([t.get_state_bbox() for t in self.tracks]).reshape(-1, 4)
        iou = self.iou.compute(predicted, boxes)
        matched, _, unmatched = self._get_associated_indices(iou, self.minimum_iou_threshold)

        out_index: list[int] = []
        out_id: list[int] = []
        confirmed: list[_Tracklet] = []
        for row, col in matched:
            track = self.tracks[row]
            track.update(boxes[col])
            if track.tracker_id == -1 and self._confirmed(track):
                track.tracker_id = self._allocate_tracker_id()
                if isinstance(track, _Tracklet):
                    confirmed.append(track)
            out_index.append(col)
            out_id.append(track.tracker_id)
        for col in unmatched:
            out_index.append(col)
            out_id.append(-1)
            if (
                confidence[col] >= self.high_conf_det_threshold
                and confidence[col] >= self.track_activation_threshold
            ):
                self.tracks.append(_Tracklet(boxes[col], self.state_estimator_class, self.now))

        alive = _get_alive_tracklets(
            tracklets=self.tracks,
            minimum_consecutive_frames=self.minimum_consecutive_frames,
            maximum_frames_without_update=self.maximum_frames_without_update,
            maximum_time_without_update=budget,
        )
        self.confirmed_now = tuple(confirmed)
        kept = {id(t) for t in alive}
        self.tracks = [t for t in self.tracks if id(t) in kept or self._waiting(t)]
        if not out_index:
            result = sv.Detections.empty()
            result.tracker_id = np.array([], dtype=int)
            return result
        result = cast(sv.Detections, detections[np.array(out_index)])
        result.tracker_id = np.array(out_id, dtype=int)
        return result

    def _confirmed(self, track: ByteTrackTracklet) -> bool:
        if isinstance(track, _Tracklet) and self.tentative_s > 0:
            return track.sightings >= self.minimum_consecutive_frames
        return track.number_of_successful_consecutive_updates >= self.minimum_consecutive_frames

    def _waiting(self, track: ByteTrackTracklet) -> bool:
        """A tentative track missed this time, still within its wait for a confirmation."""
        return (
            track.tracker_id == -1
            and track.time_since_update > 0
            and track.time_since_update_seconds <= self.tentative_s
        )
