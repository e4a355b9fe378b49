"""Reads the Change Data Feed of a Delta table with delta-rs (deltalake's
load_cdf), independently of the Go code that wrote it, and prints its rows as
JSON for lake/cdf_test.go. Arguments: the table path, the starting version and,
optionally, the ending version (the newest if absent)."""

import json
import os
import sys

import deltalake
import pyarrow as pa


def main(path, start, end=None):
    dt = deltalake.DeltaTable(path)
    t = pa.RecordBatchReader.from_stream(dt.load_cdf(starting_version=start, ending_version=end)).read_all()
    for name in ("published_at", "first_seen_at"):
        i = t.schema.get_field_index(name)
        t = t.set_column(i, name, t.column(name).cast(pa.int64()))  # microseconds since the epoch
    i = t.schema.get_field_index("_commit_timestamp")
    t = t.drop_columns(["_commit_timestamp"]) if i >= 0 else t
    out = {
        "configuration": dt.metadata().configuration,
        "protocol": [dt.protocol().min_reader_version, dt.protocol().min_writer_version],
        "rows": t.to_pylist(),
    }
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
    # As read_delta.py: leave without the interpreter's teardown
    # (delta-io/delta-rs#2184); an error while reading raises above.
    sys.stdout.flush()
    os._exit(0)
