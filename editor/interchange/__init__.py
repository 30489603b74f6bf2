"""Interchange with other editors (OTIO, FCP XML, FCPXML, EDL, CSV)."""
