"""What each component accepts, as it accepts it: the settings dataclasses (the pattern of
stormlab_common/model.py) that a component parses its config file and every live change
with. They live here, not in the components, so the experiment runner can check a scenario
offline against the very rules the components apply, without importing a component's code.
"""
