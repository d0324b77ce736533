"""`make bench-workers`: how the storm's size (the attempts/s the clients send) grows with the
locust workers it is spread over, on this host and from another one (issue 16)."""
