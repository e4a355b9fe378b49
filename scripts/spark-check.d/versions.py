"""Reads every version of a releaselake lake's yellow table on HDFS with Spark,
and the change feed over each OPTIMIZE and the version after it, and prints
them as JSON for TestHDFS_sparkAgreesWithGraphQLAtEveryVersion
(cmd/releaselake/hdfs_spark_agree_test.go).

    python versions.py hdfs://127.0.0.1:9000/path/to/lake [name [url]]

Each version is read with SELECT ... VERSION AS OF v, every column, the
timestamps as microseconds since the epoch (unix_micros), which the test
compares with GraphQL's releases(asOf:) column by column. The free text is
also filtered on, as Spark users do (which uses the files' statistics and page
index to skip what cannot match): each version WHERE notes <> '', the newest
WHERE name = <name> and WHERE url = <url>; each prints (product, tag).
"""

import json
import sys

from session import delta_session

COLUMNS = (
    "product, tag, version, name, url, source, repo, date_source, "
    "unix_micros(published_at) AS published_at, unix_micros(first_seen_at) AS first_seen_at, "
    "prerelease, yanked, notes"
)


def keys(rows):
    return sorted([r["product"], r["tag"]] for r in rows)


def main(lake, name=None, url=None):
    spark = delta_session("releaselake-spark-check-versions")
    yellow = lake + "/yellow"
    history = spark.sql(f"DESCRIBE HISTORY delta.`{yellow}`").orderBy("version").collect()
    newest = history[-1]["version"]
    at, with_notes = {}, {}
    for h in history:
        v = h["version"]
        rows = spark.sql(f"SELECT {COLUMNS} FROM delta.`{yellow}` VERSION AS OF {v}").collect()
        at[str(v)] = [r.asDict() for r in rows]
        with_notes[str(v)] = keys(spark.sql(f"SELECT product, tag FROM delta.`{yellow}` VERSION AS OF {v} WHERE notes <> ''").collect())
    table = spark.read.format("delta").load(yellow)
    by_name = keys(table.where(table["name"] == name).select("product", "tag").collect()) if name else []
    by_url = keys(table.where(table["url"] == url).select("product", "tag").collect()) if url else []
    cdf = {}
    for h in history:
        if h["operation"] != "OPTIMIZE":
            continue
        for v in (h["version"], h["version"] + 1):
            if v > newest:
                continue
            rows = (
                spark.read.format("delta")
                .option("readChangeFeed", "true")
                .option("startingVersion", v)
                .option("endingVersion", v)
                .load(yellow)
                .selectExpr("product", "tag", "_change_type", "_commit_version")
                .collect()
            )
            cdf[str(v)] = [r.asDict() for r in rows]
    out = {
        "spark": spark.version,
        "history": [[h["version"], h["operation"]] for h in history],
        "at": at,
        "cdf": cdf,
        "with_notes": with_notes,
        "by_name": by_name,
        "by_url": by_url,
    }
    json.dump(out, sys.stdout)
    spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:4])
