"""The public plugin API and plugin discovery."""
