"""loupe: review what AI coding agents write, and supervise several of them at once."""

__version__ = "0.1.0"
