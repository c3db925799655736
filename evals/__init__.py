"""Evaluation harness: dataset converters, metrics, baselines, the HTML report and the CLI."""
