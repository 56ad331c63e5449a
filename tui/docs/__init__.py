"""Read-only documents: loading artifacts, last-read snapshots, and what changed since."""
