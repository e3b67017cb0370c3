"""The one test harness, written once: `processes` (free ports, polling with a deadline),
`db` (migrate, a throwaway PostgreSQL database, empty tables), `backend` (`metrica serve`
as a process, camera provisioning, what the database holds), `worker` (`metrica worker` as
a process, its outbox), `data` (shared clips, models, truth files), `local_http` (a
throwaway file server), `rtsp` (a real RTSP camera: Debian's GStreamer RTSP server on a
shared clip, run by the system python3 from `rtsp_camera.py`)."""
