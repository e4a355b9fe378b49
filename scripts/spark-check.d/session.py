"""The Spark session every Spark reader of the lake starts (check.py,
changes.py, versions.py, and scripts/bench-scale.d/readers.py): local, Delta
Lake's extension and catalog (delta-spark's jars fetched into SPARK_IVY_DIR,
.cache/spark-ivy by default), UTC, no UI, errors only in the log."""

import os

from delta import configure_spark_with_delta_pip
from pyspark.sql import SparkSession


def delta_session(app, cores=1, **conf):
    """Returns a Spark session named app on cores local cores, with the
    extra configuration conf (dots in keys written as '__')."""
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.jars.ivy", os.path.abspath(os.environ.get("SPARK_IVY_DIR", ".cache/spark-ivy")))
    )
    for key, value in conf.items():
        builder = builder.config(key.replace("__", "."), value)
    spark = configure_spark_with_delta_pip(builder).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
