"""Legal instruments catalog and redress actions under national law or agreements."""
