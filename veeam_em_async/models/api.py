"""The API's front door: ``GET /api/`` (``<EnterpriseManager>``)."""

from __future__ import annotations

import attrs

from .common import HasLinks, Link, Model, xml


@attrs.frozen
class SupportedVersion(Model, HasLinks):
    """One API version EM offers (``<SupportedVersion Name="v1_7">``) and its logon link."""

    name: str = xml("@Name")
    links: list[Link] = xml("Links/Link", factory=list)


@attrs.frozen
class ApiRoot(Model, HasLinks):
    """What ``GET /api/`` answers, before any logon: the versions EM offers."""

    links: list[Link] = xml("Links/Link", factory=list)
    supported_versions: list[SupportedVersion] = xml(
        "SupportedVersions/SupportedVersion", factory=list
    )

    @property
    def version_names(self) -> list[str]:
        """``["v1_5", "v1_6", "v1_7"]``: the names ``api_version`` accepts."""
        return [version.name for version in self.supported_versions]
