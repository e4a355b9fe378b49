"""Reads every version of a lake's yellow table with delta-rs or with Spark and
prints, per version, its row count and the checksum scripts/lake-checksum
computes (the sum mod 2^64 of the CRC-32 of each row's columns joined by
U+001F: strings, timestamps as epoch microseconds, booleans as 0/1), one JSON
object a line.

    python readers.py deltars LAKE VERSION...   (the venv: deltalake, pyarrow)
    python readers.py spark LAKE VERSION...     (.cache/spark-venv: pyspark, delta-spark)
"""

import json
import os
import sys
import time
import zlib

COLUMNS = None  # the table's columns in order, from the Delta schema


def deltars(lake, versions):
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    for v in versions:
        t0 = time.time()
        dt = DeltaTable(lake + "/yellow", version=v)
        table = dt.to_pyarrow_table()
        parts = []
        for field in table.schema:
            col = table.column(field.name)
            if pa.types.is_timestamp(field.type):
                col = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
                col = pc.cast(col, pa.string())
            elif pa.types.is_boolean(field.type):
                col = pc.cast(pc.cast(col, pa.int8()), pa.string())
            parts.append(col)
        joined = pc.binary_join_element_wise(*parts, "\x1f")
        total = 0
        for chunk in joined.chunks:
            for s in chunk.to_pylist():
                total += zlib.crc32(s.encode())
        print(json.dumps({"version": v, "rows": table.num_rows, "checksum": str(total % (1 << 64)),
                          "seconds": round(time.time() - t0, 3)}), flush=True)


def spark(lake, versions):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spark-check.d"))
    from session import delta_session

    session = delta_session("releaselake-readers", cores=2, spark__ui__showConsoleProgress="false",
                            spark__driver__memory="4g")
    path = "file://" + os.path.abspath(lake) + "/yellow"
    for v in versions:
        t0 = time.time()
        df = session.read.format("delta").option("versionAsOf", v).load(path)
        cols = []
        for f in df.schema.fields:
            t = f.dataType.typeName()
            if t == "timestamp":
                cols.append(f"cast(unix_micros(`{f.name}`) as string)")
            elif t == "boolean":
                cols.append(f"cast(cast(`{f.name}` as int) as string)")
            else:
                cols.append(f"`{f.name}`")
        row = df.selectExpr(f"sum(crc32(concat_ws(chr(31), {', '.join(cols)}))) as s", "count(*) as n").collect()[0]
        total = int(row["s"] or 0) % (1 << 64)
        print(json.dumps({"version": v, "rows": row["n"], "checksum": str(total),
                          "seconds": round(time.time() - t0, 3)}), flush=True)
    session.stop()


if __name__ == "__main__":
    reader, lake, versions = sys.argv[1], sys.argv[2], [int(v) for v in sys.argv[3:]]
    {"deltars": deltars, "spark": spark}[reader](lake, versions)
