"""`make bench-clients`: the internal clients' figures (issue 5), measured on this machine."""
