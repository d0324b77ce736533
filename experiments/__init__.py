"""Experiments: declarative scenarios, the runner that executes them, verdicts and reports.

Empty for now: the scenario format and the runner (`python -m experiments run FILE`) are
the experiments issue's work. The folder exists so the layout shows where they go.
"""
