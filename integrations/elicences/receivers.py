"""Listeners on the case workflow (connected in ``ElicencesConfig.ready``)."""

from integrations.elicences import services


def issue_on_completion(sender, case, record, transition, **kwargs) -> None:
    """办结 of an approved case whose matter yields an e-licence: issue it (same transaction)."""
    if transition.name in services.COMPLETIONS:
        services.issue_for_case(case=case, record=record)
