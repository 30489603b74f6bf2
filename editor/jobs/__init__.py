"""Qt-free jobs: progress, cooperative cancel, errors, GPU exclusivity, analysis cache."""

from editor.jobs.runner import (Job, JobEvent, JobListener, JobRunner, JobState, Progress,
                                call_work, describe_error)
from editor.jobs.subprocess_job import run_in_subprocess

__all__ = ["Job", "JobEvent", "JobListener", "JobRunner", "JobState", "Progress",
           "call_work", "describe_error", "run_in_subprocess"]
