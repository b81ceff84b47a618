"""Django REST framework's errors as Scale serves them: the ``{"detail": ...}`` body, the token check, and how
it words every error (validation and routing included)."""

from __future__ import annotations

from mockingjob.kit import ApiError, Reply, RequestInvalid, TokenAuth, leaf, media_type_of, unknown_fields

NOT_FOUND = "Not found."
NO_CREDENTIALS = "Authentication credentials were not provided."
TIME_PARAMETERS = {"started", "ended", "source_started", "source_ended"}
FLAG_PARAMETERS = {"is_superseded", "is_active", "is_system", "is_builtin", "is_completed", "is_creation_done"}
NODE_FIELDS = ("pause_reason", "is_paused", "is_active")  # what NodeDetailsView.patch changes
JOB_TYPE_WRITES = frozenset({"create_job_type", "edit_job_type"})
# What a job type's create and edit bodies may hold: Scale's fields, then mockingjob's `plan`.
JOB_TYPE_FIELDS = ("icon_code", "is_published", "max_scheduled", "docker_image", "configuration", "manifest",
                   "auto_update", "is_active", "is_paused", "plan")

# DRF TokenAuthentication behind SessionAuthentication: every failure is a 403 with DRF's wording. Without the
# "Token" keyword TokenAuthentication does not apply, and the view answers that no credentials were provided.
AUTH = TokenAuth("Token", 403, {
    "default": NO_CREDENTIALS,
    "no-credentials": "Invalid token header. No credentials provided.",
    "spaces": "Invalid token header. Token string should not contain spaces.",
    "unknown-token": "Invalid token.",
})


def bad_parameter(detail: str) -> ApiError:
    """Scale's ``BadParameter``: a 400 with DRF's body."""
    return ApiError(400, detail)


class InvalidJobData(ApiError):
    """Job input that the job type's interface refuses: Scale's queue view answers it with the message alone, a
    bare JSON string (``Response('Invalid job data: ' + ...)`` in job/views.py), not DRF's ``{"detail"}``."""

    def __init__(self, message: str) -> None:
        super().__init__(400, f"Invalid job data: {message}")


def error_document(status: int, message: str) -> dict[str, str]:
    """DRF's error body, whatever the status."""
    return {"detail": message}


def _parameter(name: str) -> str:
    """The parameter a violation is in, as Scale names it: a list item's error names its list
    (``job_ids.0`` → ``job_ids``), as util/rest.py's list parsers do."""
    parts = [part for part in name.split(".") if not part.isdigit()] if name else []
    return parts[-1] if parts else leaf(name)


def _invalid_message(error: RequestInvalid) -> tuple[int, str]:
    v = error.violation
    operation = error.extra.get("operation")
    name = _parameter(v.name)
    if v.location == "path":
        return 404, NOT_FOUND  # Django's URL patterns reject such a path before any view runs
    if v.location == "query" and name == "format" and v.rule != "extra":
        return 404, NOT_FOUND  # DRF's content negotiation answers an unknown format override so
    if v.location == "query" and name == "page" and v.rule != "extra":
        return 404, "Invalid page."  # DRF answers any unusable page number this way
    if v.location == "content-type":
        return 415, f'Unsupported media type "{media_type_of(v)}" in request.'
    if v.location == "query" and name == "job_types" and v.rule != "extra":
        return 400, 'Parameter must be a valid JSON object: "job_types"'  # parse_dict_list: no query value is one
    if v.rule in ("malformed", "encoding"):
        return 400, f"JSON parse error - {v.message}"
    if v.rule == "extra":
        names = v.expected if isinstance(v.expected, list) else [name]
        return 400, "Unknown parameter(s): " + ", ".join(f'"{n}"' for n in names)
    if v.rule == "additionalProperties" and v.location == "body" and v.name.split(".")[0] == "input":
        # DataV6 validates the input against its schema, and BadParameter words the error.
        return 400, f"Invalid data: {v.message}"
    if v.location == "body" and v.name.startswith("manifest."):
        return 400, f"Seed Manifest invalid: Error validating against schema: {v.message}"
    if v.location == "body" and v.name == "configuration.version" and v.rule == "enum":
        return 400, f"Job type configuration invalid: Invalid configuration version: {v.value}"
    if v.location == "body" and v.name.startswith("configuration.settings.") and v.rule == "type":
        setting = v.name.removeprefix("configuration.settings.")
        return 400, f"Job type configuration invalid: The value for setting '{setting}' must be a non-empty string"
    if v.location == "body" and (v.name.startswith("configuration.") or (
            v.name == "configuration" and v.rule == "additionalProperties")) and v.rule not in ("required", "missing"):
        # JobConfigurationV6 validates against its schema; the queue and job type views prefix its error so.
        return 400, f"Job type configuration invalid: Invalid configuration: {v.message}"
    if v.rule == "additionalProperties" and v.location == "body" and not v.name and operation in JOB_TYPE_WRITES:
        # The job type views check the body's keys against a whitelist (JobTypesView.create,
        # JobTypeDetailsView.patch); Scale names the first unknown one, and prints the list as a Python 2 set.
        valid = ", ".join(f"u'{field}'" for field in JOB_TYPE_FIELDS)
        return 400, f"{unknown_fields(v)[0]} is not a valid field. Valid fields are: set([{valid}])"
    if v.rule == "additionalProperties":
        return 400, "Unknown parameter(s): " + ", ".join(f'"{n}"' for n in unknown_fields(v))
    if v.rule in ("required", "missing"):
        if v.location == "body" and not v.name:
            return 400, 'Missing required parameter: "job_type_id"'
        return 400, f'Missing required parameter: "{name}"'
    if name in FLAG_PARAMETERS and v.rule in ("pattern", "type"):
        return 400, f'Parameter must be a valid boolean: "{name}"'
    if name in TIME_PARAMETERS and v.rule in ("pattern", "type"):
        return 400, f"Invalid ISO timestamp format for parameter: {name}"
    if v.rule == "type" and v.location == "body" and not v.name:
        return 400, "Request body must be a JSON object."
    if v.rule == "type":
        expected = v.expected if isinstance(v.expected, str) else "value"
        words = {"integer": "a valid integer", "boolean": "a valid boolean", "number": "a valid float",
                 "object": "a valid JSON object", "array": "a list", "string": "a string"}
        return 400, f'Parameter must be {words.get(expected, "valid")}: "{name}"'
    if v.rule == "enum":
        return 400, f'Parameter "{name}" values must be one of: {list(v.expected)}'
    if v.rule in ("minimum", "maximum", "maxLength", "minLength", "pattern", "anyOf"):
        return 400, f'Parameter "{name}" is invalid: {v.message}'
    return 400, f"Invalid request: {v.message}"


def error_reply(error: ApiError) -> Reply:
    """Every error but one a test asked for (the kit answers that with `error_document`, at its status)."""
    if isinstance(error, InvalidJobData):
        return Reply(error.detail, 400)
    if isinstance(error, RequestInvalid) and error.extra.get("operation") == "update_node":
        v = error.violation  # NodeDetailsView.patch answers its own two checks with the message alone
        if v.rule == "additionalProperties" and not v.name:
            given = list(v.value) if isinstance(v.value, dict) else unknown_fields(v)  # in the body's order
            return Reply("Unexpected fields: " + ", ".join(k for k in given if k not in NODE_FIELDS), 400)
        if v.rule == "minProperties" and not v.name:
            return Reply("No fields specified for update.", 400)
    if isinstance(error, RequestInvalid):
        status, detail = _invalid_message(error)
        return Reply(error_document(status, detail), status)
    if error.status == 404:
        return Reply(error_document(404, NOT_FOUND if error.code == "route" else error.detail), 404)
    if error.status == 405:
        return Reply(error_document(405, f'Method "{error.extra.get("method", "")}" not allowed.'), 405,
                     error.headers)
    if error.status >= 500:
        return Reply(error_document(500, "A server error occurred."), 500)
    return Reply(error_document(error.status, error.detail), error.status, error.headers)
