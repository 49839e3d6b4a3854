"""Fault tests on the real stack: processes killed with SIGKILL and restarted, the tracker
database unavailable, all under a load of simulated citizens (see docs/faults.md)."""
