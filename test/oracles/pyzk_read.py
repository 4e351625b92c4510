"""Read a ZK device (or our simulator) with pyzk and print what it saw as JSON.

An independent oracle for the ZK simulator: if unmodified pyzk reads the simulator's users, punches,
clock and identity exactly, the simulator speaks the protocol the way real terminals do.

Exit code 0 with {"ok": true, ...}, or 2 with {"ok": false, "error_type", "error"}.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from zk import ZK


def fmt(ts: datetime) -> str:
	return ts.strftime("%Y-%m-%d %H:%M:%S")


def read_device(args: argparse.Namespace) -> dict[str, Any]:
	zk = ZK(
		args.host,
		port=args.port,
		timeout=args.timeout,
		password=args.commkey,
		force_udp=args.udp,
		ommit_ping=True,
	)
	conn = zk.connect()
	try:
		out: dict[str, Any] = {"ok": True}
		if args.disable:
			conn.disable_device()
		out["device"] = {
			"serial": conn.get_serialnumber(),
			"firmware": conn.get_firmware_version(),
			"platform": conn.get_platform(),
			"device_name": conn.get_device_name(),
			"mac": conn.get_mac(),
			"fp_version": conn.get_fp_version(),
			"extend_fmt": conn.get_extend_fmt(),
			"user_extend_fmt": conn.get_user_extend_fmt(),
			"face_version": conn.get_face_version(),
		}
		out["time"] = fmt(conn.get_time())
		users = conn.get_users()
		out["users"] = [
			{
				"uid": u.uid,
				"user_id": u.user_id,
				"name": u.name,
				"privilege": u.privilege,
				"card": u.card,
			}
			for u in users
		]
		out["attendance"] = [
			{
				"uid": a.uid,
				"user_id": a.user_id,
				"timestamp": fmt(a.timestamp),
				"status": a.status,
				"punch": a.punch,
			}
			for a in conn.get_attendance()
		]
		conn.read_sizes()
		out["sizes"] = {
			"users": conn.users,
			"records": conn.records,
			"rec_cap": conn.rec_cap,
			"rec_av": conn.rec_av,
		}
		if args.live > 0:
			out["live"] = capture_live(conn, args.live, args.live_timeout)
		if args.disable:
			conn.enable_device()
		return out
	finally:
		conn.disconnect()


def capture_live(conn: Any, wanted: int, timeout: float) -> list[dict[str, Any]]:
	"""Collect `wanted` realtime attendance events (pyzk acknowledges each one with ACK_OK)."""
	events: list[dict[str, Any]] = []
	# Tell the test we are listening: it pushes punches once the simulator sees the registration.
	print("LIVE-READY", file=sys.stderr, flush=True)
	idle = 0.0
	for a in conn.live_capture(new_timeout=1):
		if a is None:
			idle += 1
			if idle >= timeout:
				conn.end_live_capture = True
			continue
		events.append(
			{
				"uid": a.uid,
				"user_id": a.user_id,
				"timestamp": fmt(a.timestamp),
				"status": a.status,
				"punch": a.punch,
			}
		)
		if len(events) >= wanted:
			conn.end_live_capture = True
	return events


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__)
	parser.add_argument("--host", default="127.0.0.1")
	parser.add_argument("--port", type=int, default=4370)
	parser.add_argument("--udp", action="store_true", help="force UDP")
	parser.add_argument("--commkey", type=int, default=0)
	parser.add_argument("--timeout", type=float, default=10)
	parser.add_argument("--disable", action="store_true", help="disable the device while reading")
	parser.add_argument("--live", type=int, default=0, help="then capture this many realtime events")
	parser.add_argument("--live-timeout", type=float, default=10)
	args = parser.parse_args()
	try:
		result = read_device(args)
	except Exception as exc:  # the oracle reports every failure as data
		print(json.dumps({"ok": False, "error_type": type(exc).__name__, "error": str(exc)}))
		return 2
	print(json.dumps(result))
	return 0


if __name__ == "__main__":
	sys.exit(main())
