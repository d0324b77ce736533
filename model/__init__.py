"""A model of the testbed: the device's connection setup rate, table, backlog and its
timeout; the clients' open-loop arrivals, timeouts, deadline and retry policy. It reads the
same scenario files as the runner and predicts each one's verdict (docs/model.md)."""
