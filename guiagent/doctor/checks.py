"""The server-level checks of ``guiagent doctor``: reachable, model, images, context."""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import openai
from PIL import Image

from ..imaging import data_url, encode_image
from ..serve.families import ServingFacts, facts_for

Verdict = Literal["ok", "warn", "fail", "skip"]
#: vLLM's refusal of more images than ``--limit-mm-per-prompt`` allows.
IMAGE_LIMIT = re.compile(r"At most (\d+) image\(s\) may be provided", re.I)
_CONTEXT = re.compile(r"maximum (?:context|model) length is (\d+)", re.I)


@dataclass
class Check:
    """One verdict: what was checked, what was seen, and what to do."""

    name: str
    verdict: Verdict
    detail: str
    fix: str = ""


@dataclass
class Diagnosis:
    """Every check of one server, and whether a run can use it."""

    model_url: str
    model: str
    protocol: str
    checks: list[Check] = field(default_factory=list)
    probe: dict[str, Any] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        """No check failed (warnings leave the server usable)."""
        return all(c.verdict != "fail" for c in self.checks)

    def add(self, name: str, verdict: Verdict, detail: str, fix: str = "") -> Check:
        """Record a check."""
        check = Check(name, verdict, detail, fix)
        self.checks.append(check)
        return check

    def as_json(self) -> dict[str, Any]:
        """The diagnosis as plain data (``--json``)."""
        return {"model_url": self.model_url, "model": self.model, "protocol": self.protocol,
                "usable": self.usable, "checks": [asdict(c) for c in self.checks],
                "probe": self.probe}


def diagnose(base_url: str, model: str | None, protocol: str | None, *,
             api_key: str = "EMPTY", timeout: float = 300.0,
             max_tokens: int = 8192) -> Diagnosis:
    """Run every check against the server at ``base_url`` (a ``.../v1`` URL)."""
    from ..serve.families import family_for_model
    from .probe import probe_step

    client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
    diag = Diagnosis(base_url, model or "", protocol or "")
    served = list_models(diag, client, model)
    if served is None:
        return _skip_rest(diag)
    diag.model = model or served["id"]
    diag.protocol = protocol or family_for_model(diag.model)
    facts = facts_for(diag.protocol)
    if not one_image(diag, client, facts):
        return _skip_rest(diag)
    images_per_request(diag, client, facts)
    context_length(diag, served, facts, max_tokens)
    probe_step(diag, base_url, api_key, timeout, max_tokens, facts)
    return diag


def _skip_rest(diag: Diagnosis) -> Diagnosis:
    diag.add("the other checks", "skip", "not run: the server cannot be used as it is")
    return diag


def list_models(diag: Diagnosis, client: openai.OpenAI, model: str | None) -> dict[str, Any] | None:
    """The server answers ``/v1/models`` and serves ``model``; its entry, or None."""
    url = diag.model_url
    try:
        data = [m.model_dump() for m in client.models.list().data]
    except openai.APIConnectionError as exc:
        diag.add("server answers", "fail", f"no answer from {url}: {_first_line(exc)}",
                 "start the server (guiagent serve MODEL prints the URL to use), or fix "
                 "--model-url: host, port, and the /v1 at the end")
        return None
    except openai.APIStatusError as exc:
        fix = "give the OpenAI-compatible base URL, ending in /v1"
        if exc.status_code in (401, 403):
            fix = "give the server's API key: --api-key or GUIAGENT_API_KEY"
        elif exc.status_code == 404 and not url.rstrip("/").endswith("/v1"):
            fix = f"add /v1: --model-url {url.rstrip('/')}/v1"
        diag.add("server answers", "fail", f"GET /models answered HTTP {exc.status_code}", fix)
        return None
    ids = [str(m.get("id")) for m in data]
    diag.add("server answers", "ok", f"{url} serves {len(ids)} model(s): {', '.join(ids)[:300]}")
    if not data:
        diag.add("model served", "fail", "the server lists no models",
                 "wait until the server has loaded the model, then check again")
        return None
    if model is None:
        diag.add("model served", "ok", f"using {ids[0]!r} (give --model to choose)")
        return data[0]
    for entry in data:
        if entry.get("id") == model:
            diag.add("model served", "ok", f"{model!r} is served")
            return entry
    diag.add("model served", "fail", f"{model!r} is not among the served models "
             f"({', '.join(ids)[:300]})",
             f"run with --model {shlex.quote(ids[0])}, or start the server with "
             f"--served-model-name {shlex.quote(model)}")
    return None


def probe_image(size: tuple[int, int] = (224, 224)) -> str:
    """A small PNG data URL (a request's image that costs few tokens)."""
    image = Image.new("RGB", size, (240, 240, 240))
    return data_url(encode_image(image, "png"), "image/png")


def _image_request(client: openai.OpenAI, model: str, images: int) -> None:
    content: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": probe_image()}}
                                     for _ in range(images)]
    content.append({"type": "text", "text": "How many images do you see? Answer with a number."})
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}],  # type: ignore[misc,list-item]
                                   max_tokens=8, temperature=0.0)


def one_image(diag: Diagnosis, client: openai.OpenAI, facts: ServingFacts) -> bool:
    """A request with one image is answered."""
    try:
        _image_request(client, diag.model, 1)
    except openai.APIStatusError as exc:
        message = _first_line(exc)
        diag.add("image request", "fail", f"HTTP {exc.status_code}: {message}",
                 "serve a vision-language model (the served one takes no images)"
                 if re.search(r"image|multimodal|vision", message, re.I)
                 else "read the server's log for why it refused the request")
        return False
    except openai.APIError as exc:
        diag.add("image request", "fail", _first_line(exc), "check the server's log")
        return False
    diag.add("image request", "ok", "a request with one image was answered")
    return True


def images_per_request(diag: Diagnosis, client: openai.OpenAI, facts: ServingFacts) -> None:
    """The protocol's number of images in one request is accepted."""
    want = facts.images
    if want <= 1:
        diag.add("images per request", "ok", f"{facts.name} sends 1 image per request")
        return
    try:
        _image_request(client, diag.model, want)
    except openai.APIStatusError as exc:
        message = _first_line(exc)
        limit = IMAGE_LIMIT.search(str(exc))
        allowed = f"the server allows {limit.group(1)}" if limit else f"HTTP {exc.status_code}"
        diag.add("images per request", "fail",
                 f"{facts.name} sends up to {want} images; {allowed}: {message}",
                 f"restart vLLM with --limit-mm-per-prompt '{{\"image\":{want}}}'"
                 f" (guiagent serve {diag.model} sets it)")
        return
    except openai.APIError as exc:
        diag.add("images per request", "fail", _first_line(exc), "check the server's log")
        return
    diag.add("images per request", "ok", f"{want} images in one request were accepted")


def context_length(diag: Diagnosis, served: dict[str, Any], facts: ServingFacts,
                   max_tokens: int) -> None:
    """The served context fits the protocol's prompt plus the thinking budget."""
    length = served.get("max_model_len")
    need = facts.step_tokens + max_tokens
    fix = f"restart the server with --max-model-len {max(facts.max_model_len or 0, need)}"
    if not isinstance(length, int):
        diag.add("context length", "skip", "the server does not report max_model_len; a "
                 f"{facts.name} step needs about {facts.step_tokens} prompt tokens plus "
                 f"{max_tokens} to generate")
        return
    diag.probe["max_model_len"] = length
    if length < facts.step_tokens:
        diag.add("context length", "fail", f"max_model_len {length} is below the ~"
                 f"{facts.step_tokens} tokens of a {facts.name} prompt with history", fix)
    elif length < need:
        diag.add("context length", "warn", f"max_model_len {length} leaves less than the "
                 f"{max_tokens}-token thinking budget after a ~{facts.step_tokens}-token prompt",
                 f"{fix}, or run with --thinking-tokens {max(256, length - facts.step_tokens)}")
    else:
        diag.add("context length", "ok", f"max_model_len {length} fits a ~{facts.step_tokens}"
                 f"-token prompt and {max_tokens} tokens of thinking")


def context_error(message: str) -> int | None:
    """The server's context length named in a refusal ("maximum context length is N")."""
    found = _CONTEXT.search(message)
    return int(found.group(1)) if found else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]
