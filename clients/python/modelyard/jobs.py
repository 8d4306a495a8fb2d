"""The job this process runs for `modelyard agent`, read from the environment the agent sets (MODELYARD_JOB holds
the payload as JSON; MODELYARD_JOB_ID, MODELYARD_JOB_ATTEMPT, MODELYARD_QUEUE, MODELYARD_TEAM beside it)."""

import json
import os
from typing import Mapping, Optional

from .types import Job


def current_job(env: Mapping[str, str] = os.environ) -> Optional[Job]:
    """The running job, or None outside an agent job. The payload is also on stdin; this reads the environment, so
    stdin stays free for the script."""
    job_id = env.get("MODELYARD_JOB_ID")
    text = env.get("MODELYARD_JOB")
    if not job_id or text is None:
        return None
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise ValueError(f"MODELYARD_JOB is not JSON: {error}") from None
    try:
        attempt = int(env.get("MODELYARD_JOB_ATTEMPT", "1"))
    except ValueError:
        attempt = 1
    return Job(
        id=job_id,
        attempt=attempt,
        queue=env.get("MODELYARD_QUEUE"),
        team=env.get("MODELYARD_TEAM"),
        payload=payload if isinstance(payload, dict) else {"value": payload},
    )
