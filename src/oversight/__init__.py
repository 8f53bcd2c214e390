"""What oversight bodies and supervisors read of the audit trail (audit itself imports no domain)."""
