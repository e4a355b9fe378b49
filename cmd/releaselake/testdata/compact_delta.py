"""Compacts a Delta table with delta-rs (deltalake's optimize.compact), as
another engine may compact the lake's yellow table, and prints the new version
and the optimize's metrics as JSON for agree_deltars_test.go. Argument: the
table path."""

import json
import os
import sys

import deltalake


def main(path):
    dt = deltalake.DeltaTable(path)
    metrics = dt.optimize.compact()
    dt = deltalake.DeltaTable(path)
    json.dump({"version": dt.version(), "metrics": metrics}, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
    # As lake/testdata/read_delta.py: leave without the interpreter's teardown
    # (delta-io/delta-rs#2184); an error while compacting raises above.
    sys.stdout.flush()
    os._exit(0)
