"""Pure domain logic shared by the worker and the server: no I/O, no frameworks."""
