"""Benchmark child: pyzk reads the whole attendance log; prints seconds, counts and peak RSS as JSON."""

import json
import resource
import sys
import time

from zk import ZK

host, port = sys.argv[1], int(sys.argv[2])
conn = ZK(host, port=port, timeout=60, ommit_ping=True).connect()
start = time.perf_counter()
attendance = conn.get_attendance()
seconds = time.perf_counter() - start
conn.read_sizes()
on_device = conn.records
conn.disconnect()
print(
	json.dumps(
		{
			"decoded": len(attendance),
			"onDevice": on_device,
			"readSeconds": seconds,
			"peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
		}
	)
)
