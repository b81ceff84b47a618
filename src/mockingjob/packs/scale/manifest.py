"""Checking a job type as Scale does: its Seed manifest, and its configuration against the manifest.

Scale validates the manifest against the Seed schema (job/seed/manifest.py) and the configuration with
JobConfigurationV6 and JobConfiguration.validate (job/configuration/). Errors and warnings are records of a name
and a description, worded as Scale words them; the validation endpoint lists them, create and edit refuse the
first error. The schema below holds the parts of Seed's that Scale's own checks and this mock rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator

_SEMVER = r"^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
_NAMED = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}
SEED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["seedVersion", "job"],
    "properties": {
        "seedVersion": {"type": "string", "pattern": _SEMVER},
        "job": {
            "type": "object",
            "required": ["name", "jobVersion", "packageVersion", "title", "description", "maintainer", "timeout"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-zA-Z0-9-]+$"},
                "jobVersion": {"type": "string", "pattern": _SEMVER},
                "packageVersion": {"type": "string", "pattern": _SEMVER},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "maintainer": {"type": "object", "required": ["name", "email"],
                               "properties": {"name": {"type": "string"}, "email": {"type": "string"}}},
                "timeout": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                "interface": {
                    "type": "object",
                    "properties": {
                        "command": {"type": "string"},
                        "inputs": {"type": "object", "properties": {
                            "files": {"type": "array", "items": _NAMED},
                            "json": {"type": "array", "items": _NAMED}}},
                        "outputs": {"type": "object", "properties": {
                            "files": {"type": "array", "items": _NAMED},
                            "json": {"type": "array", "items": _NAMED}}},
                        "mounts": {"type": "array", "items": _NAMED},
                        "settings": {"type": "array", "items": _NAMED},
                    },
                },
                "resources": {"type": "object", "properties": {"scalar": {"type": "array", "items": {
                    "type": "object", "required": ["name", "value"],
                    "properties": {"name": {"type": "string"}, "value": {"type": "number"}}}}}},
                "errors": {"type": "array", "items": {"type": "object", "required": ["code", "name"]}},
            },
        },
    },
}
_SEED = Draft7Validator(SEED_SCHEMA)
_STANDARD_RESOURCES = ("cpus", "mem", "disk", "gpus", "sharedmem")
CONFIGURATION_VERSIONS = ("6", "7", "2.0")


@dataclass
class Finding:
    name: str
    description: str

    def json(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description}


@dataclass
class Validation:
    """Scale's ValidationResult: ``{"is_valid", "errors", "warnings"}``."""

    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {"is_valid": not self.errors, "errors": [e.json() for e in self.errors],
                "warnings": [w.json() for w in self.warnings]}


def _py2_list(names: list[str]) -> str:
    """A list of names as Scale (Python 2) prints one into its messages."""
    return "[" + ", ".join(f"u'{name}'" for name in names) + "]"


def _interface(manifest: dict[str, Any]) -> dict[str, Any]:
    return manifest.get("job", {}).get("interface") or {}


def manifest_error(manifest: dict[str, Any]) -> Finding | None:
    """The first thing wrong with a Seed manifest, as Scale's SeedManifest reports it; None if it is valid."""
    problem = next(iter(sorted(_SEED.iter_errors(manifest), key=lambda e: list(e.absolute_path))), None)
    if problem is not None:
        where = "".join(f"[{part!r}]" for part in problem.absolute_path)
        return Finding("JSON_VALIDATION_ERROR",
                       f"Error validating against schema: {problem.message}" + (f" (at {where})" if where else ""))
    interface = _interface(manifest)
    names = [item.get("name") for kind in ("inputs",) for group in ("files", "json")
             for item in (interface.get(kind) or {}).get(group) or []]
    names += [setting.get("name") for setting in interface.get("settings") or []]
    names += [r.get("name") for r in (manifest["job"].get("resources") or {}).get("scalar") or []]
    if len(names) != len(set(names)):
        return Finding("NAME_COLLISION_ERROR", "Collisions are not allowed between reserved keywords, resources, "
                                               "settingsand input names.")
    mounts = [mount.get("name") for mount in interface.get("mounts") or []]
    if len(mounts) != len(set(mounts)):
        return Finding("DUPLICATE_MOUNT_NAMES", "Mount names must be unique.")
    errors = [error.get("name") for error in manifest["job"].get("errors") or []]
    if len(errors) != len(set(errors)):
        return Finding("DUPLICATE_ERROR_NAMES", "Error names must be unique.")
    return None


_MOUNT = {"type": "object", "required": ["type"], "properties": {
    "type": {"enum": ["host", "volume"]}, "host_path": {"type": "string"}, "driver": {"type": "string"},
    "driver_opts": {"type": "object"}}}
CONFIGURATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"type": "string"},
        "mounts": {"type": "object", "additionalProperties": {"anyOf": [_MOUNT, {"type": "null"}]}},
        "output_workspaces": {"type": "object", "additionalProperties": False, "properties": {
            "default": {"type": "string"}, "outputs": {"type": "object", "additionalProperties": {"type": "string"}}}},
        "priority": {"type": "integer", "minimum": 1},
        "settings": {"type": "object"},
    },
}
_CONFIGURATION = Draft7Validator(CONFIGURATION_SCHEMA)
CONFIGURATION_KEYS = ("mounts", "output_workspaces", "priority", "settings")


def configuration_error(configuration: dict[str, Any]) -> Finding | None:
    """What JobConfigurationV6 refuses in a configuration by itself: its version, its schema (job_config_v6.py),
    a setting without a string value."""
    version = configuration.get("version", "7")
    if version not in CONFIGURATION_VERSIONS:
        return Finding("INVALID_VERSION", f"Invalid configuration version: {version}")
    problem = next(iter(_CONFIGURATION.iter_errors(configuration)), None)
    if problem is not None:
        return Finding("INVALID_CONFIGURATION", f"Invalid configuration: {problem.message}")
    for name, value in (configuration.get("settings") or {}).items():
        if not isinstance(value, str):
            return Finding("INVALID_SETTING", f"The value for setting '{name}' must be a non-empty string")
    return None


def check_against_manifest(configuration: dict[str, Any], manifest: dict[str, Any],
                           workspaces: dict[str, bool]) -> Validation:
    """JobConfiguration.validate: the configuration's first error (Scale raises it, and reports no warnings
    then), else its warnings, given the manifest and the workspaces (name → is_active); checked in Scale's order:
    priority, mounts, workspaces, settings."""
    result = Validation()
    priority = configuration.get("priority", 100)
    if isinstance(priority, int) and priority < 1:
        return Validation(errors=[Finding("INVALID_PRIORITY", "Priority must be a positive integer")])
    interface = _interface(manifest)
    result.warnings += _unmatched("mount", interface.get("mounts"), configuration.get("mounts"))
    targets = configuration.get("output_workspaces") or {}
    default = targets.get("default") or ""
    outputs = targets.get("outputs") or {}
    for name in ([default] if default else []) + list(outputs.values()):
        if name not in workspaces:
            return Validation(errors=[Finding("INVALID_WORKSPACE", f"No workspace named '{name}'")])
        if not workspaces[name]:
            result.warnings.append(Finding("DEPRECATED_WORKSPACE", f"Workspace '{name}' is deprecated"))
    file_outputs = [o.get("name") for o in (interface.get("outputs") or {}).get("files") or []]
    unmapped = [name for name in file_outputs if name not in outputs]
    if unmapped and not default:
        return Validation(errors=[Finding("MISSING_WORKSPACE",
                                          f"Missing workspace for outputs '{_py2_list(unmapped)}'")])
    result.warnings += _unmatched("setting", interface.get("settings"), configuration.get("settings"))
    return result


def _unmatched(kind: str, declared: list[dict[str, Any]] | None, configured: dict[str, Any] | None
               ) -> list[Finding]:
    """The mounts (or settings) configured that the manifest does not declare, then those it declares that are
    not configured: Scale's UNKNOWN_ and MISSING_ warnings."""
    names = [item.get("name") for item in declared or []]
    given = configured or {}
    return ([Finding(f"UNKNOWN_{kind.upper()}", f"Unknown {kind} '{name}' ignored") for name in given
             if name not in names]
            + [Finding(f"MISSING_{kind.upper()}", f"Missing configuration for {kind} '{name}'") for name in names
               if name not in given])


def resource_warnings(manifest: dict[str, Any]) -> list[Finding]:
    scalar = (manifest.get("job", {}).get("resources") or {}).get("scalar") or []
    return [Finding("NONSTANDARD_RESOURCE",
                    f"'{r.get('name')}' is not a standard resouce. This job type might not be schedulable.")
            for r in scalar if r.get("name") not in _STANDARD_RESOURCES]


def validate(manifest: dict[str, Any], configuration: dict[str, Any], workspaces: dict[str, bool]) -> Validation:
    """What ``POST /v6/job-types/validation/`` answers (JobTypeManager.validate_job_type_v6)."""
    problem = manifest_error(manifest)
    if problem is not None:
        return Validation(errors=[problem])
    problem = configuration_error(configuration)
    if problem is not None:
        return Validation(errors=[problem])
    result = check_against_manifest(configuration, manifest, workspaces)
    if not result.errors:
        result.warnings.extend(resource_warnings(manifest))
    return result


def with_defaults(configuration: dict[str, Any] | None) -> dict[str, Any]:
    """A configuration with the parts JobConfigurationV6 fills in when they are missing, stored as version 6."""
    given = dict(configuration or {})
    targets = dict(given.get("output_workspaces") or {})
    targets.setdefault("outputs", {})
    return {"version": "6", "mounts": given.get("mounts") or {}, "output_workspaces": targets,
            "priority": given.get("priority", 100), "settings": given.get("settings") or {}}
