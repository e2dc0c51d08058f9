"""The audit log's part of account erasure (see accounts/privacy.py): it records staff actions."""

DELETION_PLAN = {
    "audit.AuditEvent.actor": "kept: the audit log records staff actions, not learners'",
}
