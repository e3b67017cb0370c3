"""The weekly email report to store owners: figures, chart, CSV, schedule, unsubscribe."""
