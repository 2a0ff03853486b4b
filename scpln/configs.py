"""``scpln configs import FILE``: import a canonical config (this system's canonical-1.0 or the
original scpln's canonical JSON, read as canonical-1.0 by plan_service) into the running system,
as ``POST /configs`` does. Prints the version, then what of the original was mapped or kept.

``scpln configs import-input-set DIR [--name N] [--base CONFIG_VERSION_ID]``: turn an original
planning input set (a folder of CSV files, or a zip of one) into a config version, as ``POST
/configs/input-sets`` does; a problem names the file, the row and the column."""

import argparse
import hashlib
import json
from pathlib import Path

from nats.errors import NoRespondersError

from contracts import subjects
from contracts.commands import ConfigImported, ImportConfig, parse_reply
from contracts.input_sets import InputSetError, gather
from contracts.input_sets import document as input_set_document
from runtime.objects import NatsObjectStore
from scpln import locate

PROGRAM = "scpln configs"
STAGE_ABOVE = 256 * 1024
"""Documents larger than this go through the uploads bucket, as the gateway stages them."""


Refused = locate.Refused


def add_arguments(parser: argparse.ArgumentParser) -> None:
    after = locate.add_arguments(parser)
    actions = parser.add_subparsers(dest="action", required=True)
    importing = actions.add_parser("import", parents=[after],
                                   help="import a canonical JSON file (this system's or the original scpln's)")
    importing.add_argument("file", type=Path, help="the canonical JSON document")
    input_set = actions.add_parser("import-input-set", parents=[after],
                                   help="import an original scpln planning input set (a folder of CSV files, or a zip)")
    input_set.add_argument("dir", type=Path, help="the input set's folder (or a zip of its files)")
    input_set.add_argument("--name", default=None, help="the config's name (default: meta.json's label, else the folder's name)")
    input_set.add_argument("--base", default=None, metavar="CONFIG_VERSION_ID",
                           help="lay the input set over this config version (its network stays)")


def run(args: argparse.Namespace) -> int:
    if args.action == "import-input-set":
        return locate.outcome(PROGRAM, lambda: _import_input_set(args))
    return locate.outcome(PROGRAM, lambda: _import(args))


def read_input_set(path: Path) -> dict[str, str]:
    """The files of the input set in a folder (its files, not its subfolders) or a zip: name → text."""
    try:
        entries = ([(p.name, p.read_bytes()) for p in sorted(path.iterdir()) if p.is_file()] if path.is_dir()
                   else [(path.name, path.read_bytes())])
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return gather(entries)
    except InputSetError as exc:
        raise Refused("\n".join([f"{path}: the input set cannot be read", *(f"  {p['path']}: {p['message']}"
                                                                             for p in exc.problems)])) from None


async def _import_input_set(args: argparse.Namespace) -> str:
    files = read_input_set(args.dir)
    name = args.name or (None if {"meta.json", "input_set_meta.json"} & set(files) else args.dir.stem)
    return await _send(args.dir, input_set_document(files, name, args.base), args)


def read_document(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise Refused(f"{path}: not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise Refused(f"{path}: a JSON {type(document).__name__}, not an object")
    return document


async def _import(args: argparse.Namespace) -> str:
    return await _send(args.file, read_document(args.file), args)


async def _send(path: Path, document: dict, args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    nc = await locate.connect(locate.nats_url(args.data_dir, args.nats_url))
    try:
        data = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        if len(data) > STAGE_ABOVE:
            staged = await NatsObjectStore(nc.jetstream()).put(
                "upload", subjects.UPLOADS_BUCKET, f"{hashlib.sha256(data).hexdigest()}.json", data)
            command = ImportConfig(staged=staged)
        else:
            command = ImportConfig(document=document)
        try:
            reply = await nc.request(subjects.CMD_CONFIG_IMPORT, command.model_dump_json().encode(), timeout=60)
        except (NoRespondersError, TimeoutError):
            raise locate.Unreachable(f"plan_service does not answer on {subjects.CMD_CONFIG_IMPORT}; is the system "
                                     "up (scpln up)?") from None
    finally:
        await nc.close()
    answer = parse_reply(reply.data, ConfigImported)
    if not isinstance(answer, ConfigImported):
        details = [f"  {d.get('path', '$')}: {d.get('message', '')}" for d in getattr(answer, "details", None) or []]
        raise Refused("\n".join([f"{path}: {answer.message}", *details]))
    return describe(path, answer)


def describe(path: Path, imported: ConfigImported) -> str:
    what = "imported as a new version" if imported.created else "already a version (identical content)"
    lines = [f"{path}: {what}: {imported.config_version_id}"]
    for title, code in (("mapped from the original scpln format", "original_mapped"),
                        ("kept but not used", "original_unused"),
                        ("read from the input set", "input_set_mapped"),
                        ("derived (the input set does not give it)", "input_set_derived"),
                        ("in the input set but not used", "input_set_unused")):
        rows = [w for w in imported.warnings if w.get("code") == code]
        if rows:
            lines.append(f"{title}:")
            lines += [f"  {w['path']}: {w['message']}" for w in rows]
    others = [w for w in imported.warnings if not w.get("code", "").startswith(("original_", "input_set_"))]
    if others:
        lines.append(f"{len(others)} validation warning(s):")
        lines += [f"  {w.get('code')} {w.get('path')}: {w.get('message')}" for w in others]
    return "\n".join(lines)
