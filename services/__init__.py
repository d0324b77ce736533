"""Main-network services: what the internal clients depend on across the device."""
