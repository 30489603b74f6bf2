"""Qt-free jobs: progress, cooperative cancel, errors, GPU exclusivity, analysis cache."""
