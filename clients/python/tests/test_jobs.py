"""current_job() reads what `modelyard agent` puts in a job's environment (the wrapper test also runs it inside a
real agent job)."""

import json
import unittest

from modelyard import Job, current_job


class CurrentJobTest(unittest.TestCase):
    def test_none_outside_a_job(self):
        self.assertIsNone(current_job({}))
        self.assertIsNone(current_job({"MODELYARD_JOB": "{}"}))

    def test_the_job_with_its_payload_and_event(self):
        payload = {"event_type": "ADD_ARTIFACT_ALIAS", "artifact_version_string": "vision/model-registry/classifier:v3", "alias": "staging"}
        job = current_job(
            {
                "MODELYARD_JOB": json.dumps(payload),
                "MODELYARD_JOB_ID": "job_1",
                "MODELYARD_JOB_ATTEMPT": "2",
                "MODELYARD_QUEUE": "eval",
                "MODELYARD_TEAM": "vision",
            }
        )
        self.assertEqual(job, Job(id="job_1", attempt=2, queue="eval", team="vision", payload=payload))
        self.assertEqual(job.event_type, "ADD_ARTIFACT_ALIAS")
        self.assertIsNone(Job(id="j", attempt=1, queue=None, team=None, payload={"x": 1}).event_type)

    def test_a_damaged_payload_is_an_error_naming_the_variable(self):
        with self.assertRaisesRegex(ValueError, "MODELYARD_JOB"):
            current_job({"MODELYARD_JOB": "{", "MODELYARD_JOB_ID": "job_1"})


if __name__ == "__main__":
    unittest.main()
