"""Which OpenAI-compatible server to talk to, with which key and model.

Endpoints come from config (`[endpoints.<name>]`: base_url, api_key_env, model, headers,
label; `[models] default_endpoint` picks one). Without any, `OPENAI_API_KEY` /
`OPENAI_BASE_URL` / `OPENAI_MODEL` in the environment make an endpoint named "default".

The key itself is read from the named environment variable when a client is built; it is
never stored in config, the thread store, a log or the screen (`Endpoint.__repr__` and
`describe` leave it out).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from tui import locations
from tui.config import Config
from tui.model.errors import MissingApiKey, MissingModel, NoEndpointConfigured, UnknownEndpoint

OPENAI_URL = "https://api.openai.com/v1"
ENV_ENDPOINT = "default"
# Local servers (ollama, llama.cpp, vLLM, LM Studio) usually need no key; the SDK wants one.
NO_KEY = "no-key-needed"


@dataclass(frozen=True)
class Endpoint:
    name: str
    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""

    def api_key(self, environ: Mapping[str, str] | None = None) -> str:
        """The key from the environment (a placeholder for servers that need none)."""
        env = os.environ if environ is None else environ
        if not self.api_key_env:
            return NO_KEY
        key = env.get(self.api_key_env, "")
        if key:
            return key
        if is_local(self.base_url):
            return NO_KEY
        raise MissingApiKey(
            f"endpoint {self.name!r} reads its API key from ${self.api_key_env}, which is not set; "
            f"export it, or set api_key_env = \"\" under [endpoints.{self.name}] if the server "
            "needs no key"
        )

    def with_model(self, model: str | None) -> Endpoint:
        if not model or model == self.model:
            return self
        return Endpoint(self.name, self.base_url, model, self.api_key_env, dict(self.headers), self.label)

    def describe(self) -> str:
        """One line for humans: name, model, server (never the key)."""
        text = f"{self.model} on {self.name} ({self.base_url})"
        return f"{text}: {self.label}" if self.label else text

    def __repr__(self) -> str:
        return f"Endpoint(name={self.name!r}, base_url={self.base_url!r}, model={self.model!r})"


def is_local(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")


def available_endpoints(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    names = list(config.endpoints)
    if ENV_ENDPOINT not in names and (env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL")):
        names.append(ENV_ENDPOINT)
    return names


def resolve_endpoint(
    config: Config,
    name: str | None = None,
    *,
    model: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Endpoint:
    """The endpoint to use: `name`, else `[models] default_endpoint`, else the first
    configured, else the environment's. Raises a `ModelConfigError` saying how to fix it."""
    env = os.environ if environ is None else environ
    names = available_endpoints(config, env)
    wanted = name or config.models.default_endpoint or (names[0] if names else "")
    if not wanted:
        raise NoEndpointConfigured(str(locations.user_config_file()))
    if wanted not in names:
        known = ", ".join(names) if names else "none configured"
        source = "asked for" if name else "[models] default_endpoint names"
        raise UnknownEndpoint(
            f"{source} endpoint {wanted!r}, which is not configured (known: {known}); "
            f"add [endpoints.{wanted}] to {locations.user_config_file()}"
        )
    if wanted in config.endpoints:
        section = config.endpoints[wanted]
        endpoint = Endpoint(
            name=wanted,
            base_url=(section.base_url or OPENAI_URL).rstrip("/"),
            model=model or section.model or config.models.default_model,
            api_key_env=section.api_key_env,
            headers=dict(section.headers),
            label=section.label,
        )
    else:
        endpoint = Endpoint(
            name=ENV_ENDPOINT,
            base_url=(env.get("OPENAI_BASE_URL") or OPENAI_URL).rstrip("/"),
            model=model or env.get("OPENAI_MODEL", "") or config.models.default_model,
            api_key_env="OPENAI_API_KEY",
        )
    if not endpoint.model:
        raise MissingModel(
            f"endpoint {endpoint.name!r} names no model; set model = \"...\" under "
            f"[endpoints.{endpoint.name}] or default_model under [models] in "
            f"{locations.user_config_file()} (or OPENAI_MODEL in the environment)"
        )
    endpoint.api_key(env)  # fail now, with advice, rather than at the first request
    return endpoint
