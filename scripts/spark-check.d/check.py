"""Reads a releaselake lake on HDFS with Spark, as the team's Spark users do,
and prints what it found as JSON for TestHDFS_sparkReadsTheLake
(cmd/releaselake/hdfs_spark_test.go).

    python check.py hdfs://127.0.0.1:9000/path/to/lake

yellow is read as a Delta table (delta-spark): the current version, VERSION AS
OF 0, and its history; yellow_advisories as a Delta table too; red with
spark.read.json, which discovers the dt= and run= partition columns.
"""

import json
import sys

from session import delta_session


def main(lake):
    spark = delta_session("releaselake-spark-check")
    yellow = lake + "/yellow"

    current = spark.read.format("delta").load(yellow)
    v0 = spark.sql(f"SELECT * FROM delta.`{yellow}` VERSION AS OF 0")
    history = spark.sql(f"DESCRIBE HISTORY delta.`{yellow}`").orderBy("version").collect()
    kafka = (
        current.where("product = 'kafka'")
        .selectExpr("tag", "version", "cast(published_at as string) as published_at", "prerelease")
        .orderBy("tag")
        .collect()
    )
    notes = (
        current.where("notes <> ''")
        .selectExpr("product", "tag", "notes")
        .orderBy("product", "tag")
        .collect()
    )
    advisories = spark.read.format("delta").load(lake + "/yellow_advisories")
    adv_rows = advisories.orderBy("product", "ghsa_id", "vulnerable_range").collect()
    red = spark.read.json(lake + "/red")
    out = {
        "spark": spark.version,
        "rows": current.count(),
        "rows_v0": v0.count(),
        "columns": {f.name: f.dataType.simpleString() for f in current.schema.fields},
        "history": [[h["version"], h["operation"]] for h in history],
        "kafka": [r.asDict() for r in kafka],
        "notes": [[r["product"], r["tag"], r["notes"]] for r in notes],
        "advisories": [
            [r["product"], r["ghsa_id"], r["vulnerable_range"], r["first_patched"], r["withdrawn_at"] is not None]
            for r in adv_rows
        ],
        "advisory_columns": {f.name: f.dataType.simpleString() for f in advisories.schema.fields},
        "red_rows": red.count(),
        "red_columns": sorted(red.columns),
        "red_runs": sorted(r["run"] for r in red.select("run").distinct().collect()),
        "red_days": sorted(str(r["dt"]) for r in red.select("dt").distinct().collect()),
    }
    json.dump(out, sys.stdout)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1])
