"""The git guard: a `git` for agents that refuses force pushes and remote deletions.

Modules that run inside an agent's git calls (credentials, gitargs, prepush, refusal,
settings, spawn, wrapper) use only the standard library and relative imports: `install.py`
copies them into each guard folder. This file is copied too, so it stays empty of code.
"""
