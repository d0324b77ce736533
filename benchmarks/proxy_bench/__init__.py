"""`make bench-proxy`: the proxy's figures (issue 3), measured on this machine."""
