"""Errors of the model client, each saying what went wrong and what to do."""

from __future__ import annotations

from tui.errors import LoupeError

HOW_TO_CONFIGURE = (
    "add an endpoint to your loupe config ({config}):\n"
    "\n"
    "    [endpoints.local]\n"
    "    base_url = \"http://localhost:11434/v1\"   # any OpenAI-compatible server\n"
    "    api_key_env = \"OPENAI_API_KEY\"            # the variable holding the key; \"\" for none\n"
    "    model = \"llama3.1\"\n"
    "\n"
    "or set OPENAI_API_KEY (and OPENAI_BASE_URL for a server other than OpenAI's) and "
    "OPENAI_MODEL in the environment"
)


class ModelConfigError(LoupeError):
    """Endpoint configuration is missing or wrong; nothing was sent."""


class NoEndpointConfigured(ModelConfigError):
    def __init__(self, config_file: str) -> None:
        super().__init__("no model endpoint is configured; " + HOW_TO_CONFIGURE.format(config=config_file))


class UnknownEndpoint(ModelConfigError):
    pass


class MissingApiKey(ModelConfigError):
    pass


class MissingModel(ModelConfigError):
    pass


class ModelError(LoupeError):
    """The model call failed. `status` is the HTTP status when there was one."""

    def __init__(self, detail: str, *, status: int | None = None, endpoint: str = "",
                 retryable: bool = False) -> None:
        self.detail = detail
        self.status = status
        self.endpoint = endpoint
        self.retryable = retryable
        where = f" from {endpoint}" if endpoint else ""
        code = f" {status}" if status else ""
        super().__init__(f"model error{code}{where}: {detail}")


class ModelConnectionError(ModelError):
    """The server could not be reached, or the connection broke."""


class ModelTimeout(ModelConnectionError):
    """No bytes arrived within the read timeout."""


class RateLimited(ModelError):
    """429 after the configured retries."""


class ModelAuthError(ModelError):
    """401/403: the key is missing, wrong, or not allowed this model."""


class ModelStreamError(ModelError):
    """The server reported an error in the middle of a streamed reply."""
