"""Hosts reached over SSH: their config, one shared connection each, and `loupe host`.

Nothing here knows about sessions. A session host on another machine is built on top:

- `hosts`: the `[hosts.NAME]` config tables, their checks, and adding one to the user config;
- `ssh`: `SshConnection`, the system's OpenSSH with one ControlMaster per host, which runs
  commands (`run`) and several commands in one round trip (`batch`);
- `shell`: quoting for the POSIX shell on the far side, and what a command returned;
- `batch`: the script that runs a batch there and the framing that splits its outputs;
- `reachability`: connected, or unreachable since T and tried again after a backoff;
- `runtime`: the private folder that holds the control sockets;
- `checks` and `cli`: `loupe host add|list|check`.
"""
