"""Reads the Change Data Feed of a releaselake lake on HDFS with Spark
(readChangeFeed from startingVersion 1) and prints its rows as JSON for
TestHDFS_sparkReadsTheChangeFeed (cmd/releaselake/hdfs_spark_cdf_test.go).

    python changes.py hdfs://127.0.0.1:9000/path/to/lake [starting version, 1 if absent]
"""

import json
import sys

from session import delta_session


def main(lake, start):
    spark = delta_session("releaselake-spark-check-cdf")
    changes = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", start)
        .load(lake + "/yellow")
        .selectExpr("product", "tag", "prerelease", "_change_type", "_commit_version")
        .collect()
    )
    json.dump({"spark": spark.version, "rows": [r.asDict() for r in changes]}, sys.stdout)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
