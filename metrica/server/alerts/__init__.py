"""Store alerts: capacity, camera down, low count; settings, evaluation, delivery, log."""
