"""The single cattrs converter between the wire format (JSON values) and the models.

Reading is tolerant: unknown keys are kept in each model's ``extra``; numbers where
strings are expected (``"seconds": 8``) become strings; floats where integers are
expected are truncated. What cannot be read (a missing ``id``, a timestamp that is
a word) raises :class:`WireError`, which the protocol layer turns into
:class:`~videoclient.APIResponseValidationError`.

Writing (used by the emulator) emits every field the spec requires, ``None`` as
null, and merges ``extra`` back in; ``request_id``, ``provider_status`` and ``requested_id``
never go on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .models import DeletedVideo, Video, VideoCharacter, VideoError, VideoPage

__all__ = ["WireError", "converter", "structure", "unstructure"]

T = TypeVar("T")

# Leaves first: a model's hooks are generated against the hooks of the models it contains.
_MODELS: tuple[type[Any], ...] = (VideoError, Video, VideoPage, DeletedVideo, VideoCharacter)


#: Fields of the models that are not part of the wire format.
_META_FIELDS = frozenset({"extra", "request_id", "provider_status", "requested_id"})


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
    _register_optional(conv, str, _structure_str)
    _register_optional(conv, int, _structure_int)
    for cls in _MODELS:
        _register_model(conv, cls)
    return conv


def _register_optional(conv: cattrs.Converter, cls: type[Any], hook: Callable[..., Any]) -> None:
    """A direct hook for ``cls | None`` (cattrs' generic one looks the inner hook up per value)."""
    optional: Any = cls | None

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None:
            return None
        if cls is str and value.__class__ is str:  # no second call for the usual value
            return value
        return hook(value, cls)

    conv.register_structure_hook_func(lambda t: t == optional, structure_optional)


def _set_meta(obj: Any, name: str, value: Any) -> None:
    """Fill a field that equality ignores (``extra``, ``request_id``) on a model just built.

    Only for an instance fresh from :func:`structure`, before anyone else has seen it:
    building it again with ``attrs.evolve`` would cost a second construction per model.
    """
    object.__setattr__(obj, name, value)


def _loose_error(value: Any) -> Any:
    """A job's ``error`` as servers send it: a bare string is the message, a null message ``""``.

    A failed job must stay readable whatever shape its reason takes.
    """
    if isinstance(value, str):
        return {"message": value}
    if isinstance(value, Mapping) and "message" in value and value["message"] is None:
        return {**value, "message": ""}
    return value


def _register_model(conv: cattrs.Converter, cls: type[Any]) -> None:
    names = {f.name for f in attrs.fields(cls)}
    meta = names & _META_FIELDS
    wire_names = frozenset(names - meta)
    overrides = {name: override(omit=True) for name in meta}
    # Two readers: a lean one for the usual, valid value (no per-field error bookkeeping;
    # a client runs it on every response), and cattrs' detailed one, built on the first
    # failure, which reads the value again to say which field is wrong.
    inner_structure = make_dict_structure_fn(
        cls,
        conv,
        _cattrs_detailed_validation=False,
        **overrides,  # type: ignore[arg-type]
    )
    detailed: list[Callable[[Any, Any], Any]] = []
    inner_unstructure = make_dict_unstructure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    def structure_model(value: Any, _: type[Any]) -> Any:
        if cls is VideoError:
            value = _loose_error(value)
        if not isinstance(value, Mapping):
            raise WireError(f"expected a {cls.__name__} object, got {type(value).__name__}")
        # The generated functions read only the wire names, so they can take the value as is.
        try:
            obj = inner_structure(value, cls)
        except Exception:
            if not detailed:
                detailed.append(make_dict_structure_fn(cls, conv, **overrides))  # type: ignore[arg-type]
            obj = detailed[0](value, cls)  # raises the error that names the field
        if not value.keys() <= wire_names:
            _set_meta(obj, "extra", {k: v for k, v in value.items() if k not in wire_names})
        return obj

    def unstructure_model(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = dict(obj.extra)
        out.update(inner_unstructure(obj))
        return out

    conv.register_structure_hook(cls, structure_model)
    conv.register_unstructure_hook(cls, unstructure_model)
    _register_optional(conv, cls, structure_model)


converter = _make_converter()


def _flatten(exc: BaseException) -> str:
    """A one-line account of a (possibly grouped) cattrs failure."""
    if isinstance(exc, cattrs.ClassValidationError):
        notes = cattrs.transform_error(exc)
        return "; ".join(notes) if notes else str(exc)
    return str(exc)


def structure(value: Any, cls: Callable[..., T], *, request_id: str | None = None) -> T:
    """Read a JSON value as ``cls``; raise :class:`WireError` with a readable reason otherwise.

    ``request_id``, when given, is set on the model (which must have that field).
    """
    try:
        obj: T = converter.structure(value, cls)  # type: ignore[arg-type]
    except WireError:
        raise
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise WireError(_flatten(exc)) from exc
    if request_id:
        _set_meta(obj, "request_id", request_id)
    return obj


def unstructure(obj: Any) -> Any:
    """Turn a model into its JSON value."""
    return converter.unstructure(obj)
