"""Accuracy audits of a camera: recorded clips, marks, scores (docs/audits.md)."""
