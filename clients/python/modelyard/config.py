"""Where the client's URL, API key and team come from: the arguments, else MODELYARD_URL / MODELYARD_API_KEY /
MODELYARD_TEAM (which `modelyard agent` sets for every job), else the login `modelyard login` saved."""

import json
import os
from dataclasses import dataclass
from typing import Mapping, Optional

from .errors import ConfigurationError


@dataclass(frozen=True)
class Settings:
    url: str
    api_key: str
    team: Optional[str]


def credentials_file(env: Mapping[str, str] = os.environ) -> str:
    """The file `modelyard login` writes: $XDG_CONFIG_HOME/modelyard/credentials.json, else ~/.config/…"""
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return os.path.join(config_home, "modelyard", "credentials.json")


def load_saved_login(env: Mapping[str, str] = os.environ) -> Optional[dict]:
    path = credentials_file(env)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    try:
        saved = json.loads(text)
    except ValueError:
        saved = None
    if not isinstance(saved, dict) or not isinstance(saved.get("url"), str) or not isinstance(saved.get("apiKey"), str):
        raise ConfigurationError(f"{path} is not a saved login; run `modelyard login` again")
    return saved


def resolve_settings(
    url: Optional[str], api_key: Optional[str], team: Optional[str], env: Mapping[str, str] = os.environ
) -> Settings:
    """Each setting separately: an argument wins, then the environment, then the saved login."""
    url = url or env.get("MODELYARD_URL") or None
    api_key = api_key or env.get("MODELYARD_API_KEY") or None
    team = team or env.get("MODELYARD_TEAM") or None
    if url is None or api_key is None or team is None:
        saved = load_saved_login(env) or {}
        url = url or saved.get("url")
        api_key = api_key or saved.get("apiKey")
        team = team or saved.get("team")
    if not url:
        raise ConfigurationError(
            "no Modelyard server: pass url=, set MODELYARD_URL, or run `modelyard login --url … --api-key-stdin`"
        )
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"the Modelyard URL must start with http:// or https://, not {url[:40]!r}")
    if not api_key:
        raise ConfigurationError("no API key: pass api_key=, set MODELYARD_API_KEY, or run `modelyard login`")
    return Settings(url=url.rstrip("/"), api_key=api_key, team=team)
