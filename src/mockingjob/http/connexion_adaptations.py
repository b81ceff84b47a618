"""Every way mockingjob changes connexion's behaviour, in one place, each with why.

Nothing outside the HTTP layer imports this module. `connexion_app` builds the app with all of them:

- connexion's security middleware → `PackAuthentication`: authentication is each pack's business (its error
  shape, its token rules), so the pack vets the credentials after routing and before validation; the specs'
  ``securitySchemes`` still document it.
- connexion's exception middleware → `RenderRaised`: connexion converts its own responses and runs synchronous
  error handlers in a thread pool; here everything raised is rendered once, on the event loop, by the pack that
  owns the path.
- `RejectControlCharacters` (after the exceptions layer): a path with control characters (a decoded %0A, say)
  matches no real route, but Starlette's mounts match it without its trailing slash, so its routers redirect
  between the two forms forever.
- `SwaggerUIMiddleware`: ``openapi.json``, ``openapi.yaml`` and Swagger UI serve the spec as written, with its
  ``components`` and references (connexion serves it with every reference inlined, which code generators turn
  into duplicate and misnamed models), in the file's key order (connexion's YAML sorts them), and an API
  mounted at the root with ``servers: [{url: "/"}]`` rather than an empty URL, which OpenAPI tools would
  resolve against the spec document's own URL (`served_specs`); requests that are not for the UI or a spec
  skip its router.
- `RequestValidationMiddleware` and `OperationCallingApi`: connexion builds, for every request, the URI parser,
  the parameter and body validators and the decorated handler (with a signature inspection) of the operation
  it routed to. All of them depend only on the operation (and the body's media type and charset), so these
  build them once per operation. A body sent without any Content-Type (``requests.post(url, data=text)``)
  is refused as an unsupported media type, as Django REST framework and Jersey refuse it: connexion would
  validate it as JSON and then hand the handler raw bytes. Validation is otherwise unchanged.
- The handler gets the body the validator parsed (one parse, with one nesting limit); an operation that takes
  no body ignores whatever body a client sent, as the real services do, without connexion parsing it anyway
  (a deeply nested one would overflow its parser).
- Integer path parameters match at most as many digits as Python converts to an integer (4,300 by default):
  connexion's pattern takes any number of digits, and a longer one raised in Starlette's router; now such a
  path matches no route, a 404 in the API's shape (no such id exists).
- `trusted_specs`: connexion validates every spec against the OpenAPI schema each time it loads one (when an
  API is added, and again for every ``/openapi.json`` it serves). For our five specs that is most of start-up
  after the imports. `mockingjob check` and the test suite run that same validation on every pack's spec
  (`connexion_spec_problem`), so serving trusts the specs it ships.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import connexion
from connexion import utils
from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import receive as context_receive
from connexion.context import scope as context_scope
from connexion.decorators import StarletteDecorator
from connexion.exceptions import InvalidSpecification
from connexion.frameworks import starlette as starlette_utils
from connexion.middleware import ConnexionMiddleware, request_validation, swagger_ui
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.options import SwaggerUIOptions
from connexion.spec import OpenAPISpecification, Specification
from connexion.uri_parsing import OpenAPIURIParser
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.errors import RequestInvalid, Violation
from ..core.lint import Finding
from .routing import ENCODED_SLASH, EXCHANGE
from .served_specs import JSON_MEDIA_TYPE, YAML_MEDIA_TYPE, ServedSpec
from .validation import PARSED_BODY, UNKNOWN_QUERY_PARAMETERS

__all__ = ["connexion_app", "connexion_spec_problem", "trusted_specs"]

class _UnknownArgumentNotAnError(logging.Filter):
    """connexion logs an error for each query parameter the spec does not name; where the spec lets them through
    (a real service that ignores them), they are lint findings, reported once in the answer and the journal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Function argument '")


logging.getLogger("connexion.decorators.parameter").addFilter(_UnknownArgumentNotAnError())

# Starlette converts a matched integer path parameter with int(), which refuses more digits than this.
_DIGITS = sys.get_int_max_str_digits() or ""
starlette_utils.IntegerConverter.regex = rf"[+-]?[0-9]{{1,{_DIGITS}}}"


def connexion_app(*, outermost: Callable[[ASGIApp], ASGIApp], authenticate: Callable[[Scope], None],
                  render: Callable[[Scope, BaseException], Response], validator_map: dict[str, Any],
                  validate_responses: bool,
                  shown: Callable[[dict[str, Any]], dict[str, Any]] = lambda spec: spec) -> connexion.AsyncApp:
    """A connexion AsyncApp with every adaptation below in place, and `outermost` (built with the next app
    alone) outside connexion's whole stack. `shown` makes what is served of each spec from the spec."""

    class ShownSpecs(SwaggerUIMiddleware):
        pass

    ShownSpecs.shown = staticmethod(shown)

    class PackAuthentication:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                authenticate(scope)
            await self.app(scope, receive, send)

    class RenderRaised:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            started = False

            async def watching_send(message: Any) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, receive, watching_send)
            except Exception as exc:
                if started:  # too late for another answer: the server closes the connection
                    raise
                await render(scope, exc)(scope, receive, send)

    replacements: dict[type, type] = {
        SecurityMiddleware: PackAuthentication,
        ExceptionMiddleware: RenderRaised,
        swagger_ui.SwaggerUIMiddleware: ShownSpecs,
        request_validation.RequestValidationMiddleware: RequestValidationMiddleware,
    }
    middlewares: list[Any] = [outermost]
    for middleware in ConnexionMiddleware.default_middlewares:
        middlewares.append(replacements.get(middleware, middleware))
        if middleware is ExceptionMiddleware:
            middlewares.append(RejectControlCharacters)
    app = connexion.AsyncApp(
        __name__,
        middlewares=middlewares,
        validator_map=validator_map,
        strict_validation=True,
        validate_responses=validate_responses,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=True, serve_spec=True),
        uri_parser_class=ExplodedListsURIParser,
    )
    # connexion offers no option for the innermost API class; its app middleware reads this attribute when each
    # API is added, so it is set before any `add_api`.
    app._middleware_app.api_cls = OperationCallingApi
    return app


class ExplodedListsURIParser(OpenAPIURIParser):
    """connexion's parser, except that an exploded array parameter (``?a=x&a=y``) is its values, each whole.

    connexion joins the repeated values with commas and splits them again, so one value holding a comma
    (``?job_type_name=a,b``) became two; OpenAPI's exploded form style does not split a value, nor do the real
    services (Django's ``getlist``, JAX-RS's ``List`` parameters)."""

    @staticmethod
    def _resolve_param_duplicates(values: Any, param_defn: dict[str, Any], _in: str) -> Any:
        style = param_defn.get("style", OpenAPIURIParser.style_defaults[_in])
        if param_defn.get("explode", style == "form") and isinstance(values, list):
            return list(values)
        return OpenAPIURIParser._resolve_param_duplicates(values, param_defn, _in)

    @staticmethod
    def _split(value: Any, param_defn: dict[str, Any], _in: str) -> Any:
        return value if isinstance(value, list) else OpenAPIURIParser._split(value, param_defn, _in)


_TRUSTED: ContextVar[bool] = ContextVar("mockingjob_trusted_specs", default=False)


def _validate_unless_trusted(cls: type[Specification], spec: dict[str, Any]) -> None:
    if not _TRUSTED.get():
        _CONNEXION_VALIDATION(spec)


# A context variable rather than swapping the method in and out: safe when apps are built in several threads.
_CONNEXION_VALIDATION = OpenAPISpecification._validate_spec
OpenAPISpecification._validate_spec = classmethod(_validate_unless_trusted)


@contextlib.contextmanager
def trusted_specs() -> Iterator[None]:
    """Within this block connexion loads specs without validating them against the OpenAPI schema."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def connexion_spec_problem(spec: dict[str, Any]) -> str | None:
    """What connexion's own validation finds wrong with `spec` (schema and defaults), or None."""
    try:
        _CONNEXION_VALIDATION(spec)
    except InvalidSpecification as exc:
        return str(exc)
    return None


_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")


class RejectControlCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _CONTROL_CHARACTER.search(scope["path"]):
            raise HTTPException(404)
        await self.app(scope, receive, send)


class _SwaggerUIAPI(swagger_ui.SwaggerUIAPI):
    shown: Callable[[dict[str, Any]], dict[str, Any]] = staticmethod(lambda spec: spec)

    def _served(self, request: Any) -> ServedSpec:
        # Made once per mount path: connexion would clone and resolve the whole spec again for every request.
        base_path = self._base_path_for_prefix(request)
        made: dict[str, ServedSpec] = self.__dict__.setdefault("_served_specs", {})
        if base_path not in made:
            made[base_path] = ServedSpec.made(self.specification.raw, base_path, self.shown)
        return made[base_path]

    def _spec_for_prefix(self, request: Any) -> dict[str, Any]:
        return self._served(request).spec

    async def _get_openapi_json(self, request: Any) -> Response:
        return Response(self._served(request).json, media_type=JSON_MEDIA_TYPE)

    async def _get_openapi_yaml(self, request: Any) -> Response:
        return Response(self._served(request).yaml, media_type=YAML_MEDIA_TYPE)


class SwaggerUIMiddleware(swagger_ui.SwaggerUIMiddleware):
    shown: Callable[[dict[str, Any]], dict[str, Any]] = staticmethod(lambda spec: spec)
    """What of each spec is served (at ``openapi.json``, ``openapi.yaml`` and in Swagger UI)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Its router only serves the UI and the specs; every other request skips a pass through its mounts.
        path = scope.get("path", "") if scope["type"] == "http" else "/ui"
        if "/ui" not in path and "/openapi." not in path:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def add_api(self, specification: Any, base_path: str | None = None, arguments: dict[str, Any] | None = None,
                **kwargs: Any) -> None:
        api = _SwaggerUIAPI(specification, base_path=base_path, arguments=arguments, default=self.default_fn,
                            **kwargs)
        api.shown = self.shown
        self.router.mount(api.base_path, app=api.router)


# --- one-time set-up per operation ------------------------------------------------------------------------

class _OnceDecorator(StarletteDecorator):
    """connexion's decorator, with the URI parser and the wrapped handler built at the first call."""

    def __init__(self, *, takes_body: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.takes_body = takes_body

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        built: tuple[Any, Callable[..., Any]] | None = None

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal built
            if built is None:  # needs the routed operation, known only inside a request
                built = (self.uri_parser, self.decorate(function))
            uri_parser, decorated = built
            # The objects behind connexion's context proxies, so that the request reads them directly.
            scope = context_scope._get_current_object()
            request = self.framework.get_request(uri_parser=uri_parser, scope=scope,
                                                 receive=context_receive._get_current_object())
            if PARSED_BODY in scope:  # validated already: the handler gets that document, not a second parse
                request._starlette_request._json = scope[PARSED_BODY]
            elif not self.takes_body:
                request._starlette_request._json = None
            return await decorated(request)

        return wrapper


class _Operation(AsyncOperation):
    takes_body = True

    @classmethod
    def from_operation(cls, operation: Any, *, pythonic_params: bool, jsonifier: Any) -> AsyncOperation:
        made = super().from_operation(operation, pythonic_params=pythonic_params, jsonifier=jsonifier)
        made.takes_body = bool(operation.is_request_body_defined)
        return made

    @functools.cached_property
    def fn(self) -> Callable[..., Any]:
        return _OnceDecorator(takes_body=self.takes_body, pythonic_params=self.pythonic_params,
                              jsonifier=self.jsonifier)(self._fn)


class OperationCallingApi(AsyncApi):
    """connexion's innermost API, calling each handler through a decorator built once."""

    def make_operation(self, operation: Any) -> AsyncOperation:
        return _Operation.from_operation(operation, pythonic_params=self.pythonic_params,
                                         jsonifier=self.jsonifier)


def _has_body_without_media_type(headers: list[tuple[bytes, bytes]]) -> bool:
    has_type = has_body = False
    for name, value in headers:
        name = name.lower()
        if name == b"content-type":
            has_type = bool(value.strip())
        elif name == b"content-length":
            has_body = has_body or value.strip() not in (b"", b"0")
        elif name == b"transfer-encoding":
            has_body = True
    return has_body and not has_type


def _restore_encoded_slashes(scope: Scope) -> None:
    """Path parameters get back the ``/`` their client sent encoded (see `ENCODED_SLASH`)."""
    params = scope.get("path_params")
    if params and any(isinstance(value, str) and ENCODED_SLASH in value for value in params.values()):
        scope["path_params"] = {name: value.replace(ENCODED_SLASH, "/") if isinstance(value, str) else value
                                for name, value in params.items()}


def _lint_deprecated(operation: dict[str, Any], scope: Scope) -> None:
    """A deprecated operation still answers as it does in the real service; the client hears that it relies on it.
    Even under ``--strict``: that refuses what the real service lets through only leniently, and a deprecated
    operation is part of the API as documented (Marquez's run and job writes are all deprecated)."""
    exchange = scope.get(EXCHANGE)
    if exchange is None:
        return
    name = operation.get("operationId", "")
    note = operation.get("x-deprecated", "the real service deprecates it: it may be removed in a later version")
    exchange.findings.append(Finding(f"operation.{name}", "deprecated", note))


class _ValidationOperation(request_validation.RequestValidationOperation):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = self._operation
        parameters = self.__dict__.get("_parameter_validator")
        if parameters is None:
            parameters = self._parameter_validator = self._validator_map["parameter"](
                operation.parameters,
                uri_parser=operation._uri_parser_class(operation.parameters, operation.body_definition()),
                strict_validation=self.strict_validation,
                security_query_params=self.security_query_params,
            )
            parameters.unknown_note = operation._operation.get(UNKNOWN_QUERY_PARAMETERS)
        _restore_encoded_slashes(scope)
        parameters.validate(scope)
        if operation._operation.get("deprecated"):
            _lint_deprecated(operation._operation, scope)

        if operation.request_body and _has_body_without_media_type(scope["headers"]):
            raise RequestInvalid(Violation("content-type", "", "media-type",
                                           "Invalid Content-type (), expected JSON data"), status=415)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        schema = operation.body_schema(mime_type)
        if schema:
            body = self._body_validator(mime_type, encoding, schema)
            if body is not None:
                receive, scope = await body.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)

    def _body_validator(self, mime_type: str, encoding: str, schema: dict[str, Any]) -> Any:
        validators: dict[tuple[str, str], Any] = self.__dict__.setdefault("_body_validators", {})
        key = (mime_type, encoding)
        if key not in validators:
            try:
                validator_class = self._validator_map["body"][mime_type]
            except KeyError:  # connexion skips validation of media types it has no validator for
                validators[key] = None
            else:
                operation = self._operation
                validators[key] = validator_class(
                    schema=schema,
                    required=operation.request_body.get("required", False),
                    nullable=utils.is_nullable(operation.body_definition(mime_type)),
                    encoding=encoding,
                    strict_validation=self.strict_validation,
                    uri_parser=operation.uri_parser_class(operation.parameters, operation.body_definition()),
                )
        return validators[key]


class _ValidationApi(request_validation.RequestValidationAPI):
    def make_operation(self, operation: Any) -> request_validation.RequestValidationOperation:
        return _ValidationOperation(self.next_app, operation=operation, strict_validation=self.strict_validation,
                                    validator_map=self.validator_map)


class RequestValidationMiddleware(request_validation.RequestValidationMiddleware):
    api_cls = _ValidationApi
