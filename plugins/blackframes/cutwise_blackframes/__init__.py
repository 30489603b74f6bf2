"""Black frames and silence for Cutwise (the example plugin).

Keep this file light: Cutwise reads ``cutwise-plugin.toml`` beside it at startup and
imports the modules it names only when an engine runs or an exporter writes.
"""
