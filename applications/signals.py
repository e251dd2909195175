"""Signals other apps listen to instead of being called from the workflow.

``case_transitioned`` is sent inside the transaction of every transition, after its process
record, outbox message and notice are written: a receiver's writes commit or roll back with
the transition (a payment order, an e-licence, a waybill). Receivers must not call peers
directly; they write outbox messages. Arguments: ``case``, ``record`` (the new
ProcessRecord), ``transition`` (the workflow.Transition; ``transition.name`` is the action).
"""

from django.dispatch import Signal

case_transitioned = Signal()
