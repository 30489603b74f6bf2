"""Analysis engines: plain objects with a progress callback and a cancel token."""
