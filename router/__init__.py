"""The kernel device: a router on the Linux packet path standing in for the proxy's devices
(docs/kernel-device.md). nftables forwards, limits and counts; tc shapes; this package only
builds their configuration, applies it and serves the proxy's control API over it."""
