"""The client against a real server: logging, registering, linking, aliases, downloads, runs and errors."""

import hashlib
import io
import json
import os
import tempfile
import time
import unittest
from unittest import mock

from support import Receiver, client, require_server, unique

from modelyard import ApiError, ArtifactVersion, ConfigurationError, Modelyard, ModelVersion, verify_signature
from modelyard.config import credentials_file, resolve_settings
from modelyard.multipart import MultipartBody, collect_files
from modelyard.progress import Progress


def write(path: str, content: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
    return path


class Workspace(unittest.TestCase):
    def setUp(self) -> None:
        self.my = client()
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def training_files(self, weights: bytes = b"\x00\x01weights") -> list:
        write(os.path.join(self.dir, "src", "weights.bin"), weights)
        write(os.path.join(self.dir, "src", "config", "train.yaml"), b"lr: 0.1\n")
        write(os.path.join(self.dir, "src", "config", "data", "classes.json"), b'["cat", "dog"]')
        return [os.path.join(self.dir, "src", "weights.bin"), os.path.join(self.dir, "src", "config") + "/"]


class LogArtifactTest(Workspace):
    def test_logs_files_and_directories_with_their_relative_paths(self):
        project, name = unique("training"), unique("classifier")
        av = self.my.log_artifact(
            f"{project}/{name}", type="model", paths=self.training_files(), metadata={"accuracy": 0.91}, description="first"
        )
        self.assertIsInstance(av, ArtifactVersion)
        self.assertEqual(av.ref, f"{project}/{name}:v0")
        self.assertTrue(av.created)
        self.assertEqual((av.type, av.description, av.metadata), ("model", "first", {"accuracy": 0.91}))
        self.assertEqual(
            sorted((f.path, f.size) for f in av.files),
            [("config/data/classes.json", 14), ("config/train.yaml", 8), ("weights.bin", 9)],
        )
        weights = next(f for f in av.files if f.path == "weights.bin")
        self.assertEqual(weights.sha256, hashlib.sha256(b"\x00\x01weights").hexdigest())
        self.assertIn("latest", self.my.artifact_version(av.ref).aliases)

    def test_the_same_content_returns_the_latest_version_and_new_content_makes_the_next(self):
        project, name = unique("training"), unique("classifier")
        first = self.my.log_artifact(f"{project}/{name}", type="model", paths=self.training_files())
        again = self.my.log_artifact(f"{project}/{name}", type="model", paths=self.training_files())
        self.assertEqual((again.ref, again.created), (first.ref, False))
        changed = self.my.log_artifact(f"{project}/{name}", type="model", paths=self.training_files(b"other"), aliases=["best"])
        self.assertEqual(changed.ref, f"{project}/{name}:v1")
        self.assertIn("best", changed.aliases)

    def test_file_names_with_spaces_quotes_and_unicode_arrive_unchanged(self):
        path = write(os.path.join(self.dir, "odd", 'a "quoted" näme #1.txt'), b"odd")
        av = self.my.log_artifact(unique("p") + "/odd", type="dataset", paths=[os.path.join(self.dir, "odd")])
        self.assertEqual([f.path for f in av.files], ['odd/a "quoted" näme #1.txt'])
        target = self.my.download(av.ref, to=os.path.join(self.dir, "back"))
        with open(os.path.join(target, "odd", os.path.basename(path)), "rb") as handle:
            self.assertEqual(handle.read(), b"odd")

    def test_refuses_bad_input_before_sending_anything(self):
        with self.assertRaises(ValueError):
            self.my.log_artifact("no-project", type="model", paths=self.training_files())
        with self.assertRaises(FileNotFoundError):
            self.my.log_artifact("p/a", type="model", paths=[os.path.join(self.dir, "missing.bin")])
        os.makedirs(os.path.join(self.dir, "empty"))
        with self.assertRaises(ValueError):
            self.my.log_artifact("p/a", type="model", paths=[os.path.join(self.dir, "empty")])
        write(os.path.join(self.dir, "x", "weights.bin"), b"1")
        with self.assertRaisesRegex(ValueError, "twice"):
            self.my.log_artifact("p/a", type="model", paths=[os.path.join(self.dir, "x", "weights.bin"), *self.training_files()[:1]])

    def test_server_refusals_are_api_errors_with_the_servers_code_and_message(self):
        with self.assertRaises(ApiError) as caught:
            self.my.log_artifact(unique("p") + "/a", type="not a valid type!", paths=self.training_files())
        self.assertEqual((caught.exception.status, caught.exception.code), (400, "invalid_request"))
        self.assertEqual(caught.exception.details.get("field"), "type")
        self.assertIn("type", caught.exception.message)

    def test_an_upload_over_the_servers_limit_is_the_servers_413(self):
        limit = int(os.environ.get("MODELYARD_TEST_MAX_UPLOAD_BYTES", "0"))
        self.assertGreater(limit, 0, "the wrapper passes the server's upload limit")
        big = write(os.path.join(self.dir, "big.bin"), b"\x07" * (limit + 1024 * 1024))
        with self.assertRaises(ApiError) as caught:
            self.my.log_artifact(unique("p") + "/big", type="model", paths=[big])
        self.assertEqual((caught.exception.status, caught.exception.code), (413, "payload_too_large"))

    def test_logging_into_the_model_registry_project_is_refused(self):
        with self.assertRaises(ApiError) as caught:
            self.my.log_artifact("model-registry/a", type="model", paths=self.training_files())
        self.assertEqual(caught.exception.status, 400)


class RegistryTest(Workspace):
    def test_create_link_alias_and_download_by_model_and_artifact_ref(self):
        project, model = unique("training"), unique("classifier")
        av = self.my.log_artifact(f"{project}/classifier", type="model", paths=self.training_files())
        created = self.my.create_model(model, description="Storefront classifier")
        self.assertEqual((created.name, created.description), (model, "Storefront classifier"))
        self.assertEqual(self.my.create_model(model, exist_ok=True).id, created.id)
        with self.assertRaises(ApiError) as caught:
            self.my.create_model(model)
        self.assertEqual((caught.exception.status, caught.exception.code), (409, "conflict"))

        mv = self.my.link(av.ref, model=model, aliases=["staging"])
        self.assertIsInstance(mv, ModelVersion)
        self.assertEqual((mv.version, mv.source, mv.ref), ("v0", av.ref, f"{model}:v0"))
        self.assertEqual(sorted(mv.aliases), ["latest", "staging"])

        moved = self.my.set_alias(model, "production", mv.version)
        self.assertIn("production", moved.aliases)
        self.assertEqual(moved.change, "added")
        self.assertEqual(self.my.set_alias(model, "production", mv.version).change, "unchanged")
        self.my.remove_alias(model, "staging")
        self.assertEqual(sorted(self.my.model_version(model, "production").aliases), ["latest", "production"])
        with self.assertRaises(ApiError) as caught:
            self.my.model_version(model, "staging")
        self.assertEqual(caught.exception.status, 404)

        by_model = self.my.download(f"{model}:production", to=os.path.join(self.dir, "model"))
        by_artifact = self.my.download(av.ref, to=os.path.join(self.dir, "artifact"))
        for root in (by_model, by_artifact):
            with open(os.path.join(root, "weights.bin"), "rb") as handle:
                self.assertEqual(handle.read(), b"\x00\x01weights")
            with open(os.path.join(root, "config", "data", "classes.json"), "rb") as handle:
                self.assertEqual(handle.read(), b'["cat", "dog"]')

    def test_download_defaults_to_artifacts_dir_named_after_the_version(self):
        project = unique("training")
        av = self.my.log_artifact(f"{project}/net", type="model", paths=self.training_files())
        cwd = os.getcwd()
        os.chdir(self.dir)
        self.addCleanup(os.chdir, cwd)
        target = self.my.download(f"{project}/net")  # no version: latest
        self.assertEqual(target, os.path.join("artifacts", "net-v0"))
        self.assertTrue(os.path.isfile(os.path.join(self.dir, target, "weights.bin")))
        self.assertEqual(av.version, "v0")

    def test_unknown_references_are_404s(self):
        for ref in ("no-such-model:v0", f"{unique('p')}/a:v0"):
            with self.assertRaises(ApiError) as caught:
                self.my.download(ref, to=os.path.join(self.dir, "x"))
            self.assertEqual((caught.exception.status, caught.exception.code), (404, "not_found"))
        with self.assertRaises(ApiError) as caught:
            self.my.link("nope/nothing:v0", model=unique("m"))
        self.assertEqual(caught.exception.status, 404)


class DownloadGuardTest(unittest.TestCase):
    """The server refuses such names, but a download must never trust them: a compromised or impersonated server
    must not write outside the target directory."""

    def test_refuses_names_that_leave_the_target_directory(self):
        with tempfile.TemporaryDirectory() as root:
            root = os.path.realpath(root)
            for name in ("../escape", "a/../../escape", "/etc/passwd", "a//b", "./a", "a\\..\\b", "", "a/\nb"):
                with self.assertRaises(ValueError, msg=name):
                    Modelyard._local_path_for(root, name)
            os.symlink(tempfile.gettempdir(), os.path.join(root, "link"))
            with self.assertRaisesRegex(ValueError, "outside"):
                Modelyard._local_path_for(root, "link/escape")
            self.assertEqual(Modelyard._local_path_for(root, "a/b.bin"), os.path.join(root, "a", "b.bin"))


class RunsTest(Workspace):
    def test_iterates_every_page_of_a_models_runs_by_state_and_deliveries_verify(self):
        receiver = Receiver()
        self.addCleanup(receiver.close)
        admin = self.my._http
        team = f"/api/v1/teams/{self.my.team}"
        secret_name, secret_value = unique("HOOK").replace("-", "_").upper(), "s3cr3t-" + unique("v")
        admin.json("POST", f"{team}/secrets", {"name": secret_name, "value": secret_value})
        hooks = {}
        for path in ("/ok", "/fail"):
            _, hook = admin.json(
                "POST", f"{team}/webhooks", {"name": unique("hook"), "url": receiver.url(path), "secret": secret_name, "accessToken": None}
            )
            hooks[path] = hook["id"]
        model_a, model_b = unique("runs-a"), unique("runs-b")
        for model in (model_a, model_b):
            self.my.create_model(model)
        for name, model, hook in (("ok-a", model_a, "/ok"), ("fail-a", model_a, "/fail"), ("ok-b", model_b, "/ok")):
            admin.json(
                "POST",
                f"{team}/automations",
                {
                    "name": unique(name),
                    "description": "",
                    "enabled": True,
                    "event": {"type": "LINK_ARTIFACT", "model": model, "aliasPattern": None},
                    "action": {"type": "webhook", "webhookId": hooks[hook], "payload": '{"version": "${artifact_version_string}"}'},
                },
            )
        project = unique("training")
        for i in range(3):
            av = self.my.log_artifact(f"{project}/net", type="model", paths=self.training_files(str(i).encode()))
            self.my.link(av.ref, model=model_a)
        self.my.link(av.ref, model=model_b)

        self.my.page_size = 2  # several pages for six runs
        deadline = time.monotonic() + 30
        while True:
            runs = list(self.my.runs(model=model_a))
            if len(runs) == 6 and all(run.state != "pending" for run in runs):
                break
            self.assertLess(time.monotonic(), deadline, f"runs did not settle: {[(r.automation_name, r.state) for r in runs]}")
            time.sleep(0.1)

        failed = list(self.my.runs(model=model_a, state="failed"))
        succeeded = list(self.my.runs(model=model_a, state="succeeded"))
        self.assertEqual(len(failed), 3)
        self.assertTrue(all(run.automation_name.startswith("fail-a") and run.status == 500 for run in failed))
        self.assertEqual(len(succeeded), 3)
        self.assertTrue(all(run.automation_name.startswith("ok-a") for run in succeeded))
        self.assertEqual([run.id for run in runs], sorted((run.id for run in runs), reverse=True))  # newest first
        self.assertEqual([run.event_type for run in self.my.runs(model=model_b)], ["LINK_ARTIFACT"])
        with self.assertRaises(ApiError) as caught:
            list(self.my.runs(model=unique("no-such-model")))
        self.assertEqual(caught.exception.status, 404)

        # What the server sent verifies with the secret, by either scheme, and not with another secret.
        path, body, headers = next(r for r in receiver.requests if r[0] == "/ok")
        self.assertIn(model_a.encode(), body)
        wandb_only = {"x-wandb-signature": headers["x-wandb-signature"]}
        standard_only = {k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        self.assertTrue(verify_signature(body, wandb_only, secret_value))
        self.assertTrue(verify_signature(body, standard_only, secret_value))
        self.assertTrue(verify_signature(body, headers, secret_value))
        self.assertFalse(verify_signature(body, headers, secret_value + "x"))
        self.assertFalse(verify_signature(body + b" ", wandb_only, secret_value))


class ConfigurationTest(unittest.TestCase):
    def test_arguments_then_environment_then_the_saved_login(self):
        url, key, team = require_server()
        with tempfile.TemporaryDirectory() as home:
            env = {"XDG_CONFIG_HOME": home}
            with self.assertRaises(ConfigurationError):
                resolve_settings(None, None, None, env)
            file = credentials_file(env)
            self.assertEqual(file, os.path.join(home, "modelyard", "credentials.json"))
            write(file, json.dumps({"url": url + "/", "apiKey": key, "team": team}).encode())
            saved = resolve_settings(None, None, None, env)
            self.assertEqual((saved.url, saved.api_key, saved.team), (url, key, team))
            from_env = resolve_settings(None, None, None, {**env, "MODELYARD_TEAM": "other", "MODELYARD_URL": "http://e:1"})
            self.assertEqual((from_env.url, from_env.api_key, from_env.team), ("http://e:1", key, "other"))
            argued = resolve_settings("https://a", "k", "t", {**env, "MODELYARD_TEAM": "other"})
            self.assertEqual((argued.url, argued.api_key, argued.team), ("https://a", "k", "t"))

            # Modelyard() with nothing but the saved login reaches the server.
            clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")}
            with mock.patch.dict(os.environ, {**clean, "XDG_CONFIG_HOME": home}, clear=True):
                my = Modelyard(progress=False)
                self.assertEqual(my.team, team)
                self.assertNotIn(key, repr(my))
                model = unique("saved")
                self.assertEqual(my.create_model(model).name, model)

            write(file, b"not json")
            with self.assertRaisesRegex(ConfigurationError, "not a saved login"):
                resolve_settings(None, None, None, env)

    def test_a_wrong_key_is_a_401(self):
        with self.assertRaises(ApiError) as caught:
            client(api_key="my_wrong").model("anything")
        self.assertEqual(caught.exception.status, 401)


class StreamingTest(unittest.TestCase):
    def test_the_body_is_generated_in_bounded_chunks_and_matches_its_announced_length(self):
        with tempfile.TemporaryDirectory() as root:
            write(os.path.join(root, "d", "big.bin"), os.urandom(300_000))
            write(os.path.join(root, "d", "sub", "small.txt"), b"x")
            body = MultipartBody([("type", "model")], collect_files([os.path.join(root, "d")]), chunk_size=64 * 1024)
            chunks = list(body.chunks())
            self.assertEqual(sum(len(c) for c in chunks), body.length)
            self.assertLessEqual(max(len(c) for c in chunks), 64 * 1024)
            self.assertEqual([f.name for f in body.files], ["d/big.bin", "d/sub/small.txt"])

    def test_a_file_that_changes_size_during_the_upload_is_an_error(self):
        with tempfile.TemporaryDirectory() as root:
            path = write(os.path.join(root, "grows.bin"), b"1234")
            body = MultipartBody([], collect_files([path]))
            write(path, b"123456")
            with self.assertRaisesRegex(IOError, "changed size"):
                list(body.chunks())

    def test_progress_is_drawn_on_a_terminal_only_and_can_be_silenced(self):
        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        shown = Terminal()
        progress = Progress("uploading a/b", 2048, True, shown)
        progress.advance(2048)
        progress.finish()
        self.assertIn("uploading a/b: 2.0 KB / 2.0 KB (100%)", shown.getvalue())
        for stream, enabled in ((Terminal(), False), (io.StringIO(), True)):
            quiet = Progress("uploading a/b", 10, enabled, stream)
            quiet.advance(10)
            quiet.finish()
            self.assertEqual(stream.getvalue(), "")


if __name__ == "__main__":
    unittest.main()
