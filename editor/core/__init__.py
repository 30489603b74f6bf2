"""The Qt-free project model: assets, timeline, suggestions, undoable commands, files."""
