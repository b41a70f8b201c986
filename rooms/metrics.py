"""Metrics of the live rooms: sockets, rooms, deliveries and drops, publishing and the subscriber."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from server.metrics import LATENCY_BUCKETS

CONNECTIONS = Gauge("lsc_websocket_connections", "Open room sockets (a show, a chat, a user's notifications).",
                    multiprocess_mode="livesum")
ROOMS = Gauge("lsc_rooms", "Rooms with a member on a process, summed over processes (a room watched through two "
              "processes counts twice).", multiprocess_mode="livesum")
DELIVERIES = Counter("lsc_room_deliveries", "Room events offered to the sockets of their room.")
DROPS = Counter("lsc_websocket_drops", "Sockets the server dropped, by reason: slow (fell a whole send queue "
                "behind), silent (no pong within rooms.heartbeat_s), revoked (access ended: 4401).", ["reason"])
RESYNCS = Counter("lsc_room_resyncs", "Times a room sent its members `resync` and a new hello, by reason: "
                  "new_log (the room's log in Redis was lost), gap (events missing from the history).", ["reason"])
PUBLISH_SECONDS = Histogram("lsc_room_publish_seconds", "Time to append events to a room's log and publish them "
                            "(one Redis script).", buckets=LATENCY_BUCKETS)
EVENT_DELAY = Histogram("lsc_room_event_delay_seconds", "From an event's making (its ts, at commit for decisions) "
                        "to its fan-out on a process: outbox, Redis and pub/sub together.", buckets=LATENCY_BUCKETS)
SUBSCRIBER_LOST = Counter("lsc_room_subscriber_disconnects", "Times a process lost its pub/sub connection to Redis "
                          "(its rooms catch up from their logs once it is back).")
