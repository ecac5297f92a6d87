//! Event timestamps found in log lines.
