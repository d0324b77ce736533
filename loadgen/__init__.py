"""Internal clients: a locust population that calls main-network services through the proxy."""
