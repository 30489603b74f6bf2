"""Media: probing, decoding with exact timestamps, audio, thumbnails, waveforms."""
