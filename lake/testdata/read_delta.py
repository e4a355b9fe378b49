"""Reads a Delta table with delta-rs (deltalake) and pyarrow, independently of
the Go code that wrote it, and prints what it found as JSON for the tests in
lake/deltalake_test.go. Arguments: the table path, then versions to read too."""

import json
import os
import sys

import deltalake
import pyarrow as pa
import pyarrow.parquet as pq


def table_json(dt):
    t = dt.to_pyarrow_table().sort_by([("product", "ascending"), ("tag", "ascending")])
    for name in ("published_at", "first_seen_at"):
        i = t.schema.get_field_index(name)
        t = t.set_column(i, name, t.column(name).cast(pa.int64()))  # microseconds since the epoch
    return t.to_pylist()


def rows_v0(path):
    try:
        return len(table_json(deltalake.DeltaTable(path, version=0)))
    except Exception:  # the log no longer holds version 0
        return -1


def main(path, versions):
    dt = deltalake.DeltaTable(path)
    files = {}
    for uri in dt.file_uris():
        f = pq.ParquetFile(uri.removeprefix("file://"))
        files[uri] = {
            "types": {fld.name: str(fld.type) for fld in f.schema_arrow},
            "nullable": {fld.name: fld.nullable for fld in f.schema_arrow},
            "compression": f.metadata.row_group(0).column(0).compression,
        }
    out = {
        "version": dt.version(),
        "protocol": [dt.protocol().min_reader_version, dt.protocol().min_writer_version],
        "schema": {f.name: [str(f.type.type), f.nullable] for f in dt.schema().fields},
        "rows": table_json(dt),
        "rows_v0": rows_v0(path),
        "history": [h["operation"] for h in dt.history()],
        "files": files,
        # Older versions asked for on the command line (time travel).
        "at": {v: table_json(deltalake.DeltaTable(path, version=int(v))) for v in versions},
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
    # Leave without the interpreter's teardown: delta-rs and Arrow keep native
    # threads that the teardown sometimes destroys while they run, and the
    # process then aborts ("terminate called without an active exception",
    # delta-io/delta-rs#2184) after all its work is done and printed. An error
    # while reading still raises above and exits 1 with its traceback.
    sys.stdout.flush()
    os._exit(0)
