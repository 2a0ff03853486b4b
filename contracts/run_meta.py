"""A run's governance as facts in the log: approval, the scenario's baseline, archive, notes, tags.

The run registry publishes them after checking the change against its read model (the run
exists; only a succeeded run is approved or made a baseline), on the gateway's command
``scpln.cmd.registry.run_meta``; the actor is the signed-in user. Each fact only adds to what
the run had: notes are appended, never edited; a baseline replaced by another stays approved.
"""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from contracts.envelope import Envelope

NOTE_MAX = 10_000
"""Longest note, in characters (Markdown)."""
TAG_MAX = 40
TAGS_MAX = 20
"""Most tags a run carries, and most one change adds or removes."""
TAG_PATTERN = r"^[^\s,<>]([^,<>]*[^\s,<>])?$"
Tag = Annotated[str, StringConstraints(min_length=1, max_length=TAG_MAX, pattern=TAG_PATTERN)]
"""A short label: no comma (lists of tags are written with commas), no angle brackets, no
space at either end."""


class RunApproved(Envelope):
    """A run was approved: the business agreed on it. Retention never drops an approved run."""

    event_type: Literal["RunApproved"] = "RunApproved"
    run_id: str = Field(description="The approved run (a succeeded one).")
    scenario_id: str = Field(description="Base scenario of its plan.")
    approved_by: str = Field(description="Who approved it: the signed-in approver.")


class BaselinePromoted(Envelope):
    """A run became its scenario's baseline, replacing the previous one (which stays approved).
    A run is approved before it is promoted: a promotion of a run not yet approved comes
    after a RunApproved of the same user."""

    event_type: Literal["BaselinePromoted"] = "BaselinePromoted"
    run_id: str = Field(description="The new baseline run.")
    scenario_id: str = Field(description="The scenario whose baseline it is: one baseline per scenario.")
    replaced_run_id: str | None = Field(default=None, description="The baseline it replaced; None when the "
                                                                   "scenario had none.")
    promoted_by: str = Field(description="Who promoted it: the signed-in approver.")


class RunArchived(Envelope):
    """A run was archived: the run history hides it unless asked for; it stays readable."""

    event_type: Literal["RunArchived"] = "RunArchived"
    run_id: str = Field(description="The archived run.")
    archived_by: str = Field(description="Who archived it.")


class RunUnarchived(Envelope):
    """An archived run is shown in the run history again."""

    event_type: Literal["RunUnarchived"] = "RunUnarchived"
    run_id: str = Field(description="The run.")
    unarchived_by: str = Field(description="Who brought it back.")


class RunNoteAdded(Envelope):
    """A note was added to a run. Notes are appended, never edited or removed."""

    event_type: Literal["RunNoteAdded"] = "RunNoteAdded"
    run_id: str = Field(description="The run.")
    note_id: str = Field(description="Id of the note, unique.")
    text: str = Field(min_length=1, max_length=NOTE_MAX, description=(
        "The note as written, in Markdown; pages render it without raw HTML."))
    author: str = Field(description="Who wrote it.")


class RunTagsChanged(Envelope):
    """Tags were added to a run, or removed from it."""

    event_type: Literal["RunTagsChanged"] = "RunTagsChanged"
    run_id: str = Field(description="The run.")
    added: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX, description="Tags it now carries.")
    removed: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX, description="Tags it no longer carries.")
    changed_by: str = Field(description="Who changed them.")


RUN_META_EVENTS = (RunApproved, BaselinePromoted, RunArchived, RunUnarchived, RunNoteAdded, RunTagsChanged)
