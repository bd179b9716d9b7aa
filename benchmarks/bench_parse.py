"""Parse cost: ``from_xml`` per document against xmltodict and ElementTree alone.

Documents: the backup job entity from the vendor docs (tests/fixtures) and a
list of 1,000 tasks shaped like EM's ``GET /tasks`` answer. ``from_xml`` does
what xmltodict does plus the checks (namespace, DOCTYPE refusal) and cattrs
structuring into frozen models; ElementTree only builds a tree of elements.

Run: ``python benchmarks/bench_parse.py`` (add ``--repeat 3`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import timeit
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import xmltodict

from veeam_em_async import from_xml

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
NS = "http://www.veeam.com/ent/v1.0"


def task_list(count: int) -> bytes:
    items = "".join(
        f'<Task Type="Task" Href="https://em:9398/api/tasks/task-{i}"><Links>'
        f'<Link Rel="Delete" Type="Task" Href="https://em:9398/api/tasks/task-{i}" /></Links>'
        f"<TaskId>task-{i}</TaskId><State>Finished</State><Operation>StartJob</Operation>"
        f'<Result Success="true"><Message>Job "Job {i}" triggered to start.</Message></Result>'
        "</Task>"
        for i in range(count)
    )
    return f'<Tasks xmlns="{NS}">{items}</Tasks>'.encode()


def best(fn: Callable[[], object], number: int, repeat: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    documents = {
        "backup job entity": ((FIXTURES / "backup_job.xml").read_bytes(), 500),
        "1,000-task list": (task_list(1000), 5),
    }
    rows = []
    for name, (doc, number) in documents.items():
        times = {
            "from_xml": best(lambda d=doc: from_xml(d), number, args.repeat),
            "xmltodict.parse": best(lambda d=doc: xmltodict.parse(d), number, args.repeat),
            "ElementTree.fromstring": best(lambda d=doc: ET.fromstring(d), number, args.repeat),
        }
        rows.append(
            {
                "document": name,
                "bytes": len(doc),
                **{k: round(v * 1e6, 1) for k, v in times.items()},
                "from_xml_vs_xmltodict": round(times["from_xml"] / times["xmltodict.parse"], 3),
            }
        )
    print("| document | bytes | from_xml µs | xmltodict.parse µs | ElementTree µs | ratio |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['document']} | {r['bytes']} | {r['from_xml']} | {r['xmltodict.parse']} "
            f"| {r['ElementTree.fromstring']} | {r['from_xml_vs_xmltodict']} |"
        )
    print()
    print(json.dumps({"benchmark": "parse", "rows": rows}))


if __name__ == "__main__":
    main()
