"""Reads the current snapshot of a Delta table with pyarrow, as 20-cold-load's
yardstick for serve's cold load: the same Parquet files, read into memory.

Usage: pyarrow_load.py TABLE_DIR
Prints one JSON line: {"seconds": read time, "cpu_seconds": CPU time (user +
system, all threads) of the read, "rows": n, "files": n, "maxrss_kib":
ru_maxrss, "process_seconds": since the interpreter started}.

"seconds" counts listing the live files from the Delta log (delta-rs) and
reading them with pyarrow.parquet.read_table (all columns, pyarrow's default
thread pool); the imports are not counted, serve's Go runtime start is.
"""

import json
import os
import resource
import sys
import time

START = time.monotonic()

import pyarrow  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from deltalake import DeltaTable  # noqa: E402


def main() -> None:
    table_dir = os.path.abspath(sys.argv[1])
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    files = DeltaTable(table_dir).file_uris()
    paths = [f[len("file://"):] if f.startswith("file://") else f for f in files]
    table = pq.read_table(paths) if paths else None
    seconds = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru.ru_utime - ru0.ru_utime) + (ru.ru_stime - ru0.ru_stime)
    print(json.dumps({
        "seconds": round(seconds, 4),
        "cpu_seconds": round(cpu, 4),
        "rows": table.num_rows if table is not None else 0,
        "files": len(paths),
        "maxrss_kib": ru.ru_maxrss,
        "process_seconds": round(time.monotonic() - START, 4),
        "pyarrow": pyarrow.__version__,
    }))


if __name__ == "__main__":
    main()
