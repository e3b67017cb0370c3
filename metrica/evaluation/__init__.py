"""Counting accuracy against hand-checked ground truth, and the supervision baseline."""
