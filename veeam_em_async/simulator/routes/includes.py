"""A VM job's includes (``/jobs/{id}/includes``): listed, added (in the XSD's element
order, as EM checks it) and removed."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from aiohttp import web

from ...xmlio import parse_document
from .. import documents, responses
from ..responses import SESSION, by_id, error, not_found, xml
from ..state import SimJob
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """job includes: method, URL and handler of each route."""
    state = sim.state

    def vm_job(request: web.Request) -> SimJob:
        return by_id(state.jobs, request, "Job")

    async def includes(request: web.Request) -> web.Response:
        job = vm_job(request)
        href = f"{sim.api}/jobs/{job.id}"
        items = "".join(
            documents.object_in_job(href, oid, ref, name, order)
            for oid, ref, name, order in state.includes.get(job.id, [])
        )
        return xml(f"<ObjectsInJob {documents.NS}>{items}</ObjectsInJob>")

    async def add_include(request: web.Request) -> web.Response:
        job = vm_job(request)
        try:
            root, spec = parse_document(await request.read())
            if root != "CreateObjectInJobSpec":
                raise ValueError(f"expected <CreateObjectInJobSpec>, got <{root}>")
            names = [k for k in spec if not k.startswith("@")]
            expected = ["HierarchyObjRef", "HierarchyObjName", "Order", "GuestProcessingOptions"]
            if names != [k for k in expected if k in names]:  # EM checks the XSD's order
                raise ValueError(f"elements out of the schema's order: {names}")
            ref, name = str(spec["HierarchyObjRef"]), str(spec["HierarchyObjName"])
        except (ValueError, KeyError) as exc:
            return error(400, f"The request body is invalid: {exc}")
        objects = state.includes.setdefault(job.id, [])
        objects.append((str(uuid.UUID(int=state.rng.getrandbits(128))), ref, name, len(objects)))
        return responses.accepted(
            sim.api, sim.state, state.new_task(request[SESSION], "UpdateJob", job=job)
        )

    async def remove_include(request: web.Request) -> web.Response:
        job = vm_job(request)
        wanted = request.match_info["include"].lower()
        objects = state.includes.get(job.id, [])
        kept = [o for o in objects if o[0] != wanted]
        if len(kept) == len(objects):
            raise not_found("Object in job", wanted)
        state.includes[job.id] = kept
        return responses.accepted(
            sim.api, sim.state, state.new_task(request[SESSION], "UpdateJob", job=job)
        )

    return [
        ("GET", "/api/jobs/{id}/includes", includes),
        ("POST", "/api/jobs/{id}/includes", add_include),
        ("DELETE", "/api/jobs/{id}/includes/{include}", remove_include),
    ]
