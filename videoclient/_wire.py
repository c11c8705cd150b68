"""The single cattrs converter between the wire format (JSON values) and the models.

Reading is tolerant: unknown keys are kept in each model's ``extra``; numbers where
strings are expected (``"seconds": 8``) become strings; floats where integers are
expected are truncated. What cannot be read (a missing ``id``, a timestamp that is
a word) raises :class:`WireError`, which the protocol layer turns into
:class:`~videoclient.APIResponseValidationError`.

Writing (used by the emulator) emits every field the spec requires, ``None`` as
null, and merges ``extra`` back in; ``request_id`` never goes on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._models import DeletedVideo, Video, VideoCharacter, VideoError, VideoPage

__all__ = ["WireError", "converter", "structure", "unstructure"]

T = TypeVar("T")

# Leaves first: a model's hooks are generated against the hooks of the models it contains.
_MODELS: tuple[type[Any], ...] = (VideoError, Video, VideoPage, DeletedVideo, VideoCharacter)


class WireError(ValueError):
    """A JSON value could not be read as the expected model."""


def _structure_str(value: Any, _: type[Any]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise WireError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: type[Any]) -> int:
    if isinstance(value, bool):
        raise WireError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            pass
    raise WireError(f"expected an integer, got {value!r:.40}")


def _structure_bool(value: Any, _: type[Any]) -> bool:
    if isinstance(value, bool):
        return value
    raise WireError(f"expected a boolean, got {value!r:.40}")


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    for cls in _MODELS:
        _register_model(conv, cls)
    return conv


def _register_model(conv: cattrs.Converter, cls: type[Any]) -> None:
    names = {f.name for f in attrs.fields(cls)}
    wire_names = frozenset(names - {"extra", "request_id"})
    overrides = {"extra": override(omit=True), "request_id": override(omit=True)}
    inner_structure = make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]
    inner_unstructure = make_dict_unstructure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    def structure_model(value: Any, _: type[Any]) -> Any:
        if not isinstance(value, Mapping):
            raise WireError(f"expected a {cls.__name__} object, got {type(value).__name__}")
        known = {k: v for k, v in value.items() if k in wire_names}
        extra = {k: v for k, v in value.items() if k not in wire_names}
        obj = inner_structure(known, cls)
        return attrs.evolve(obj, extra=extra) if extra else obj

    def unstructure_model(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = dict(obj.extra)
        out.update(inner_unstructure(obj))
        return out

    conv.register_structure_hook(cls, structure_model)
    conv.register_unstructure_hook(cls, unstructure_model)


converter = _make_converter()


def _flatten(exc: BaseException) -> str:
    """A one-line account of a (possibly grouped) cattrs failure."""
    if isinstance(exc, cattrs.ClassValidationError):
        notes = cattrs.transform_error(exc)
        return "; ".join(notes) if notes else str(exc)
    return str(exc)


def structure(value: Any, cls: Callable[..., T]) -> T:
    """Read a JSON value as ``cls``; raise :class:`WireError` with a readable reason otherwise."""
    try:
        return converter.structure(value, cls)  # type: ignore[arg-type]
    except WireError:
        raise
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise WireError(_flatten(exc)) from exc


def unstructure(obj: Any) -> Any:
    """Turn a model into its JSON value."""
    return converter.unstructure(obj)
