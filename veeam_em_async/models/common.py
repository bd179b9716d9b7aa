"""Shapes shared by every EM resource: links, entity references, errors.

Field names are snake_case. The XML name of a field is its name in PascalCase
(``schedule_enabled`` -> ``ScheduleEnabled``) unless ``xml(...)`` says
otherwise; ``@Name`` is an attribute, ``#text`` the element's text and
``A/B`` a child of a child (``Links/Link``: the ``Link`` elements inside
``Links``). How strings become booleans, lists and datetimes is the
converter's business (``converter.py``), not the models'.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

XML_KEY = "veeam_em_async.xml"
NONE_WORD_KEY = "veeam_em_async.none_word"

#: The ``extra`` of a model whose element held nothing unmodelled (one shared,
#: read-only mapping: no allocation per model).
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def xml(path: str, *, none_word: str | None = None, **kwargs: Any) -> Any:
    """An attrs field whose XML name is not the PascalCase of its own name.

    ``none_word``: the text EM writes to mean "no value" (``<Result>None</Result>``
    while a session runs); the converter reads it as a missing element.
    """
    metadata = {**kwargs.pop("metadata", {}), XML_KEY: path}
    if none_word is not None:
        metadata[NONE_WORD_KEY] = none_word
    return attrs.field(metadata=metadata, **kwargs)


def uuid_from_uid(uid: str | None) -> str | None:
    """``urn:veeam:Job:5658…`` -> ``5658…`` (the part after the last colon)."""
    if not uid:
        return None
    return uid.rsplit(":", 1)[-1] or None


def href_id(href: str) -> str:
    """The last path segment of an ``Href`` (the id of what it names), its query left
    out: ``…/backupSessions/d34e…?format=Entity`` -> ``d34e…``."""
    return href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class Model:
    """Base of every model: what EM sent that the model does not name stays reachable.

    `extra` maps each unmodelled child element or attribute of the
    model's element (``"@Attr"``, ``"Child"``) to xmltodict's value for it, so
    a field EM adds, or one this version does not model, is read as
    ``job.extra["NewElement"]`` without fetching and parsing again.

    It is kept outside the attrs fields, in a slot the converter fills only
    when something was left over: a model with nothing unmodelled costs no
    extra argument, allocation or assignment, and ``extra`` takes no part in
    equality, hashing or ``repr`` (``attrs.evolve`` does not carry it over).
    """

    __slots__ = ("_extra",)

    @property
    def extra(self) -> Mapping[str, Any]:
        """Unmodelled elements and attributes, by XML name (empty if none)."""
        return getattr(self, "_extra", NO_EXTRA)


ModelT = TypeVar("ModelT", bound=Model)


def keep_extra(model: ModelT, extra: Mapping[str, Any]) -> ModelT:
    """``model`` with ``extra`` as its unmodelled content (the converter's one
    way to fill the slot; frozen models are otherwise never written to)."""
    object.__setattr__(model, "_extra", extra)
    return model


@attrs.frozen
class Link(Model):
    """One ``<Link>``: where a related resource or an action lives."""

    href: str = xml("@Href")
    rel: str | None = xml("@Rel", default=None)
    type: str | None = xml("@Type", default=None)
    name: str | None = xml("@Name", default=None)


class HasLinks:
    """Mixin for models with ``links``: look one up by its ``Rel``."""

    links: list[Link]

    def link(self, rel: str, type: str | None = None) -> Link | None:
        """The first link whose ``Rel`` is ``rel`` (and ``Type`` is ``type``, if
        given), compared without regard to case, or ``None``."""
        wanted = rel.lower()
        for link in self.links:
            if link.rel is not None and link.rel.lower() == wanted:
                if type is None or (link.type or "").lower() == type.lower():
                    return link
        return None


@attrs.frozen
class EntityRef(Model, HasLinks):
    """A ``<Ref>``/``<EntityRef>``: a named pointer to an entity, as lists return."""

    href: str = xml("@Href")
    uid: str | None = xml("@UID", default=None)
    name: str | None = xml("@Name", default=None)
    type: str | None = xml("@Type", default=None)
    links: list[Link] = xml("Links/Link", factory=list)

    @property
    def id(self) -> str | None:
        """The UUID part of ``uid``: what URLs are built from."""
        return uuid_from_uid(self.uid)


@attrs.frozen
class Entity(Model, HasLinks):
    """What every entity EM serves with ``format=Entity`` starts with: its address, UID,
    name, type and links (each entity model adds its own elements after these)."""

    href: str = xml("@Href")
    uid: str = xml("@UID")
    name: str | None = xml("@Name", default=None)
    type: str | None = xml("@Type", default=None)
    links: list[Link] = xml("Links/Link", factory=list)

    @property
    def id(self) -> str:
        """The UUID part of ``uid``: what URLs are built from."""
        return uuid_from_uid(self.uid) or ""


@attrs.frozen
class ErrorInfo(Model):
    """EM's ``<Error Message=… StatusCode=… Status=…>`` body.

    ``first_chance_exception_message`` is the .NET exception EM caught first,
    which sometimes says more than ``message``; ``stack_trace`` is EM's
    server-side trace, kept for whoever debugs EM but never put in an
    exception's text (see `describe`).
    """

    message: str | None = xml("@Message", default=None)
    status_code: int | None = xml("@StatusCode", default=None)
    status: str | None = xml("@Status", default=None)
    first_chance_exception_message: str | None = None
    stack_trace: str | None = None

    def describe(self) -> str | None:
        """``message``, with the first-chance message added when it says
        something ``message`` does not; never the stack trace."""
        main = (self.message or "").strip()
        first = (self.first_chance_exception_message or "").strip()
        if not first or first in main:
            return main or None
        if not main or main in first:
            return first
        return f"{main} (first-chance exception: {first})"
