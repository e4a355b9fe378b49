"""Reads the Change Data Feed of a releaselake lake on HDFS with Spark
(readChangeFeed from startingVersion 1) and prints its rows as JSON for
TestHDFS_sparkReadsTheChangeFeed (cmd/releaselake/hdfs_spark_cdf_test.go).

    python changes.py hdfs://127.0.0.1:9000/path/to/lake [starting version, 1 if absent]
"""

import json
import os
import sys

from delta import configure_spark_with_delta_pip
from pyspark.sql import SparkSession


def main(lake, start):
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("releaselake-spark-check-cdf")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.jars.ivy", os.environ.get("SPARK_IVY_DIR", ".cache/spark-ivy"))
    )
    spark = configure_spark_with_delta_pip(builder).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
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
