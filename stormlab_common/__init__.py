"""What stormlab's components truly share: config loading and metric names.

Components meet only over the network; this package holds no behaviour of theirs.
"""
