"""Shapes shared by every EM resource: links, entity references, errors.

Field names are snake_case. The XML name of a field is its name in PascalCase
(``schedule_enabled`` -> ``ScheduleEnabled``) unless ``xml(...)`` says
otherwise; ``@Name`` is an attribute, ``#text`` the element's text and
``A/B`` a child of a child (``Links/Link``: the ``Link`` elements inside
``Links``). How strings become booleans, lists and datetimes is the
converter's business (``converter.py``), not the models'.
"""

from __future__ import annotations

from typing import Any

import attrs

XML_KEY = "veeam_em_async.xml"
NONE_WORD_KEY = "veeam_em_async.none_word"


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


@attrs.frozen
class Link:
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
class EntityRef(HasLinks):
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
class ErrorInfo:
    """EM's ``<Error Message=… StatusCode=…>`` body."""

    message: str | None = xml("@Message", default=None)
    status_code: int | None = xml("@StatusCode", default=None)
